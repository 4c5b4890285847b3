package io.tuneserve.inference;

import io.tuneserve.model.DType;
import io.tuneserve.model.ErrorKind;
import io.tuneserve.model.RequestScope;
import io.tuneserve.model.ServingException;
import io.tuneserve.model.SignatureSpec;
import io.tuneserve.model.TensorData;
import io.tuneserve.model.TensorSpec;
import io.tuneserve.repository.ModelSettings;
import io.tuneserve.rollout.RolloutPolicy;
import io.tuneserve.rollout.ShadowComparison;
import io.tuneserve.rollout.Trial;
import io.tuneserve.rollout.TrialTraffic;
import io.tuneserve.serving.ModelManager;
import io.tuneserve.serving.ServedVersion;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one path every inference request takes, whatever its protocol: find the version, decode and
 * check the inputs against its signature, run it on the worker threads, release the version.
 */
public final class InferenceService {
  private final ModelManager manager;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final int maxRequestRows;
  private volatile TrialTraffic trials;

  /**
   * @param maxRequestRows rows one request may hold along a signature's batch dimension
   */
  public InferenceService(ModelManager manager, int maxRequestRows) {
    this.manager = manager;
    this.maxRequestRows = maxRequestRows;
  }

  /** Takes part in rollout trials from now on: canary shares and shadow copies of requests. */
  public void useTrials(TrialTraffic source) {
    this.trials = source;
  }

  /** Runs a request, dropping it unrun if its scope ends (timeout, client gone) while it waits. */
  public CompletableFuture<InferenceResult> infer(
      String model, OptionalLong version, RequestDecoder decoder, RequestScope scope) {
    TrialTraffic traffic = trials;
    if (version.isEmpty() && traffic != null) {
      Optional<Trial> trial = traffic.running(model);
      if (trial.isPresent()) {
        return inTrial(traffic, trial.get(), decoder, scope);
      }
    }
    ServedVersion served;
    try {
      served = manager.acquire(model, version);
    } catch (ServingException e) {
      return CompletableFuture.failedFuture(e);
    }
    return run(served, decoder, scope);
  }

  /**
   * An unlabelled request while the model's candidate is on trial: answered by the candidate (its
   * canary share) or by stable, whose answer a shadow candidate then also computes; both measured.
   */
  private CompletableFuture<InferenceResult> inTrial(
      TrialTraffic traffic, Trial trial, RequestDecoder decoder, RequestScope scope) {
    boolean canary = TrialTraffic.toCanary(trial);
    ServedVersion served;
    try {
      served =
          canary
              ? acquireOrNull(trial.model(), trial.candidate())
              : manager.acquire(trial.model(), OptionalLong.empty());
      if (served == null) {
        canary = false;
        served = manager.acquire(trial.model(), OptionalLong.empty());
      }
    } catch (ServingException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (served.version() != (canary ? trial.candidate() : trial.stable())) {
      return run(served, decoder, scope);
    }
    TrialTraffic.Role role = canary ? TrialTraffic.Role.CANARY : TrialTraffic.Role.STABLE;
    long start = System.nanoTime();
    CompletableFuture<InferenceResult> answer = run(served, decoder, scope);
    answer.whenComplete(
        (result, error) -> {
          if (error == null || isServerFault(error)) {
            traffic.record(trial, role, error == null, System.nanoTime() - start);
          }
          if (error == null && trial.policy().mode() == RolloutPolicy.Mode.SHADOW) {
            shadow(traffic, trial, result);
          }
        });
    return answer;
  }

  /** The candidate computes what stable just answered; its outputs are compared, never returned. */
  private void shadow(TrialTraffic traffic, Trial trial, InferenceResult stable) {
    ServedVersion candidate = acquireOrNull(trial.model(), trial.candidate());
    if (candidate == null) {
      return;
    }
    long start = System.nanoTime();
    CompletableFuture<Map<String, TensorData>> outputs;
    try {
      SignatureSpec signature = candidate.signature(stable.signature().key());
      checkInputs(signature, stable.request().inputs());
      outputs =
          admitShapes(candidate, signature, stable.request().inputs())
              .thenCompose(
                  admitted ->
                      candidate.run(
                          signature,
                          stable.request().inputs(),
                          stable.outputs().keySet(),
                          RequestScope.unbounded()));
    } catch (RuntimeException e) {
      outputs = CompletableFuture.failedFuture(e);
    }
    outputs.whenComplete(
        (values, error) -> {
          candidate.release();
          Throwable cause = unwrap(error);
          if (cause instanceof ServingException serving && serving.kind() == ErrorKind.OVERLOADED) {
            return; // shed: the shadow never takes capacity stable needs
          }
          traffic.record(trial, TrialTraffic.Role.SHADOW, error == null, System.nanoTime() - start);
          if (error == null) {
            traffic.compared(
                trial,
                ShadowComparison.agrees(
                    stable.outputs(),
                    stable.version().settings().labels(),
                    values,
                    candidate.settings().labels(),
                    scoresOutput(stable)));
          }
        });
  }

  private static String scoresOutput(InferenceResult result) {
    ModelSettings.ImageInput image = result.version().settings().image();
    if (image == null || !image.signature().equals(result.signature().key())) {
      return null;
    }
    try {
      return image.scoresOutput(result.signature());
    } catch (ServingException e) {
      return null;
    }
  }

  private ServedVersion acquireOrNull(String model, long version) {
    try {
      return manager.acquire(model, OptionalLong.of(version));
    } catch (ServingException e) {
      return null;
    }
  }

  /** A failure that counts against the version: not the request's own fault, nor its timeout. */
  private static boolean isServerFault(Throwable error) {
    Throwable cause = unwrap(error);
    return !(cause instanceof ServingException serving)
        || serving.kind() == ErrorKind.INTERNAL
        || serving.kind() == ErrorKind.UNAVAILABLE;
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }

  private CompletableFuture<InferenceResult> run(
      ServedVersion served, RequestDecoder decoder, RequestScope scope) {
    inFlight.incrementAndGet();
    try {
      DecodedRequest request = decoder.decode(served);
      SignatureSpec signature = served.signature(request.signature());
      served
          .writes(signature.key())
          .ifPresent(
              write -> {
                throw ServingException.invalid(
                    "signature "
                        + signature.key()
                        + " changes the model when it runs (it reaches "
                        + write
                        + "), so it is not served: no request may change what a model computes");
              });
      checkInputs(signature, request.inputs());
      checkRows(signature, request.inputs());
      Set<String> outputs = chooseOutputs(signature, request.outputs());
      return admitShapes(served, signature, request.inputs())
          .thenCompose(admitted -> served.run(signature, request.inputs(), outputs, scope))
          .thenApply(values -> new InferenceResult(served, signature, request, values))
          .whenComplete(
              (result, error) -> {
                served.release();
                inFlight.decrementAndGet();
              });
    } catch (RuntimeException e) {
      served.release();
      inFlight.decrementAndGet();
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Requests being decoded or run right now. */
  public int inFlight() {
    return inFlight.get();
  }

  private static final CompletableFuture<Void> ADMITTED = CompletableFuture.completedFuture(null);

  /**
   * Takes shapes the graph declares at once; others as the model's {@code input_shape_check} says:
   * passed through, refused, or (by default) taken when TensorFlow's shape inference finds the
   * signature's graph can compute on them.
   */
  private static CompletableFuture<Void> admitShapes(
      ServedVersion served, SignatureSpec signature, Map<String, TensorData> inputs) {
    TensorSpec undeclared = null;
    for (TensorSpec spec : signature.inputs().values()) {
      if (!spec.accepts(inputs.get(spec.name()).shape())) {
        undeclared = spec;
        break;
      }
    }
    ModelSettings.ShapeCheck check = served.settings().inputShapeCheck();
    if (undeclared == null || check == ModelSettings.ShapeCheck.NONE) {
      return ADMITTED;
    }
    String declared =
        "input '"
            + undeclared.name()
            + "' has shape "
            + Arrays.toString(inputs.get(undeclared.name()).shape())
            + " but the model expects "
            + undeclared.feedShapeText()
            + " (-1 = any size)";
    if (check == ModelSettings.ShapeCheck.STRICT) {
      return CompletableFuture.failedFuture(ServingException.invalid(declared));
    }
    Map<String, long[]> shapes = new TreeMap<>();
    inputs.forEach((name, value) -> shapes.put(name, value.shape()));
    return served
        .shapeRefusal(signature, shapes)
        .thenAccept(
            refusal ->
                refusal.ifPresent(
                    reason -> {
                      throw ServingException.invalid(
                          declared + ", and the graph cannot compute on it: " + reason);
                    }));
  }

  private static void checkInputs(SignatureSpec signature, Map<String, TensorData> inputs) {
    inputs.keySet().forEach(signature::input);
    for (TensorSpec spec : signature.inputs().values()) {
      TensorData input = inputs.get(spec.name());
      if (input == null) {
        throw ServingException.invalid(
            "missing input '" + spec.name() + "' of signature " + signature.key());
      }
      if (input.dtype() != spec.dtype()) {
        throw ServingException.invalid(
            "input '"
                + spec.name()
                + "' has datatype "
                + input.dtype().oipName()
                + " but the model expects "
                + spec.dtype().oipName());
      }
      if (input.elementCount() == 0) {
        throw ServingException.invalid(
            "input '"
                + spec.name()
                + "' has shape "
                + Arrays.toString(input.shape())
                + ", which holds no values; every dimension must be at least 1");
      }
      if (input.dtype().isFloatingPoint()) {
        checkFinite(spec.name(), input);
      }
    }
  }

  private void checkRows(SignatureSpec signature, Map<String, TensorData> inputs) {
    if (!signature.isBatchable()) {
      return;
    }
    for (TensorData input : inputs.values()) {
      if (input.rank() > 0 && input.dim(0) > maxRequestRows) {
        throw ServingException.invalid(
            "the request holds "
                + input.dim(0)
                + " rows (instances); at most "
                + maxRequestRows
                + " fit one request (batching.max_request_rows)");
      }
    }
  }

  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** Refuses NaN and infinities: the exponent bits all set, read straight from the raw bytes. */
  private static void checkFinite(String name, TensorData input) {
    byte[] raw = input.raw();
    boolean single = input.dtype() == DType.FP32;
    int size = single ? 4 : 8;
    for (int offset = 0; offset < raw.length; offset += size) {
      boolean finite =
          single
              ? ((int) INTS.get(raw, offset) & 0x7f800000) != 0x7f800000
              : ((long) LONGS.get(raw, offset) & 0x7ff0000000000000L) != 0x7ff0000000000000L;
      if (!finite) {
        int i = offset / size;
        throw ServingException.invalid(
            "input '"
                + name
                + "' holds "
                + input.doubleAt(i)
                + " at element "
                + i
                + "; only finite values are accepted");
      }
    }
  }

  private static Set<String> chooseOutputs(SignatureSpec signature, Set<String> requested) {
    if (requested.isEmpty()) {
      return signature.outputs().keySet();
    }
    for (String name : requested) {
      if (!signature.outputs().containsKey(name)) {
        throw ServingException.invalid(
            "unknown output '"
                + name
                + "'; signature "
                + signature.key()
                + " has "
                + signature.outputs().keySet());
      }
    }
    return new TreeSet<>(requested);
  }
}
