"""The fashion-convnet demo model served by FastAPI + PyTorch: the peer tuneserve is measured against.

It answers TF Serving's REST predict format on the same path as tuneserve, so the same load
generator drives both:  POST /v1/models/fashion-convnet:predict  {"instances": [[[[p], ...], ...]]}
Weights come from tuneserve's SavedModel, exported by the load-test harness as raw float32 files.
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class FashionConvNet(torch.nn.Module):
    """The same layers as tuneserve's zoo ConvNet (see models/fashion-convnet/MODEL_CARD.md)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, padding=1)
        self.fc = torch.nn.Conv2d(64, 128, 7)
        self.head = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc(x)).mean(dim=(2, 3))
        return F.softmax(self.head(x), dim=1)


def load(weights_dir):
    with open(os.path.join(weights_dir, "weights.json")) as f:
        shapes = json.load(f)

    def tensor(name):
        raw = np.fromfile(os.path.join(weights_dir, name.replace("/", "_") + ".bin"), dtype="<f4")
        return raw.reshape(shapes[name])

    model = FashionConvNet()
    with torch.no_grad():
        for layer, scope in ((model.conv1, "block1"), (model.conv2, "block2"), (model.fc, "fc")):
            # TensorFlow: [height, width, in, out]; PyTorch: [out, in, height, width]
            layer.weight.copy_(torch.from_numpy(tensor(scope + "/kernel").transpose(3, 2, 0, 1).copy()))
            layer.bias.copy_(torch.from_numpy(tensor(scope + "/bias")))
        model.head.weight.copy_(torch.from_numpy(tensor("head/kernel").T.copy()))
        model.head.bias.copy_(torch.from_numpy(tensor("head/bias")))
    return model.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", required=True)
    parser.add_argument("--port", type=int, default=18081)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load(args.weights)
    app = FastAPI()

    @app.get("/v1/models/fashion-convnet")
    def status():
        return {"model_version_status": [{"version": "1", "state": "AVAILABLE"}]}

    @app.post("/v1/models/fashion-convnet:predict")
    async def predict(request: Request):
        body = await request.json()
        images = torch.tensor(body["instances"], dtype=torch.float32).permute(0, 3, 1, 2)
        with torch.no_grad():
            probabilities = model(images)
        return JSONResponse({"predictions": probabilities.tolist()})

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
