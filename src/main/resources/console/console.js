// The tuneserve console: the registry, live metrics, image classification and fine-tuning, all
// through the server's public HTTP APIs.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { registry: null, registryText: null, metrics: new Map(), lastScrape: null };

function token() {
  return $('token').value.trim();
}

function authorized(headers = {}) {
  const t = token();
  return t ? { ...headers, authorization: 'Bearer ' + t } : headers;
}

// A request the server has not answered within 30 s fails with a message instead of waiting forever.
async function call(path, options = {}) {
  const response = await fetch(path, {
    signal: AbortSignal.timeout(30000),
    ...options,
    headers: authorized(options.headers || {}),
  });
  const text = await response.text();
  let body;
  try { body = text ? JSON.parse(text) : {}; } catch (e) { body = { raw: text }; }
  if (!response.ok) {
    throw new Error(body.error || ('HTTP ' + response.status));
  }
  return body;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ---- Models and versions -------------------------------------------------------------------

function versionsOf(registry) {
  const all = [];
  for (const model of registry.models) {
    for (const version of model.versions) all.push({ model: model.name, ...version });
  }
  return all;
}

function renderModels(registry) {
  const nodes = new Map(registry.nodes.map((n, i) => [n.id, 'node ' + (i + 1) + ' ' + n.http]));
  $('cluster').textContent = registry.nodes.length + (registry.nodes.length === 1 ? ' node' : ' nodes');
  const list = $('models');
  list.replaceChildren();
  if (registry.models.length === 0) {
    list.append(element('p', { class: 'muted' }, 'No models yet.'));
  }
  for (const model of registry.models) {
    const box = element('div', { class: 'model', 'data-model': model.name },
      element('div', { class: 'model-name' }, model.name));
    for (const version of [...model.versions].reverse()) {
      const line = element('div', { class: 'version' }, element('span', {}, 'v' + version.version));
      for (const [node, s] of Object.entries(version.nodes || {})) {
        line.append(element('span', { class: 'node ' + s.state, title: (nodes.get(node) || node) + ': ' + s.state + (s.error ? ' — ' + s.error : '') }));
      }
      const lineage = version.lineage;
      if (lineage && lineage.base_model) {
        line.append(element('span', { class: 'lineage' },
          '← ' + lineage.base_model + ' v' + lineage.base_version + ' · ' + lineage.strategy
          + (lineage.metrics && lineage.metrics.validation_accuracy !== undefined
            ? ' · val ' + lineage.metrics.validation_accuracy.toFixed(3) : '')));
      }
      line.append(element('span', { class: 'pill' }, version.store + ' · ' + size(version.bytes)));
      if (version.pinned) line.append(element('span', { class: 'pill' }, 'pinned'));
      for (const [label, labelled] of Object.entries(model.labels || {})) {
        if (labelled === version.version) line.append(element('span', { class: 'pill label' }, label));
      }
      // The gate's decision, then the latest canary or shadow trial's, each with its reason.
      const promotion = lineage && lineage.promotion;
      const trial = (version.trials || [])[0];
      if (promotion) {
        line.append(element('span', { class: 'pill promotion', title: promotion.reason },
          promotion.promoted ? 'promoted' : trial ? 'passed the gate' : 'kept as candidate'));
      }
      if (trial) {
        line.append(element('span', { class: 'pill trial ' + trial.state, title: trial.reason },
          trial.mode + ' trial: ' + (trial.state === 'kept' ? 'kept as candidate' : trial.state)));
      }
      box.append(line);
      for (const evaluation of (lineage && lineage.evaluations) || []) {
        box.append(element('details', { class: 'version-evaluation' },
          element('summary', {}, 'v' + version.version + ' confusion matrix (' + evaluation.split + ')'),
          confusionTable(evaluation)));
      }
    }
    list.append(box);
  }
  fillSelect($('classify-model'), versionsOf(registry).map((v) => v.model + '/' + v.version));
  fillSelect($('job-base'), registry.models.map((m) => m.name));
}

// A confusion matrix as a table: true classes down, predicted across; each cell shaded by its
// share of its row, the diagonal (right answers) green and the rest red, with recall per row and
// precision per column at the edges.
function confusionTable(evaluation) {
  const matrix = evaluation.confusion_matrix;
  const names = evaluation.classes.map((c) => c.class);
  const percent = (v) => (v === null || v === undefined ? '–' : Math.round(v * 100) + '%');
  const head = element('tr', {}, element('th', { class: 'corner' }, 'true ↓ predicted →'),
    ...names.map((n) => element('th', {}, n)), element('th', {}, 'recall'));
  const rows = matrix.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return element('tr', {}, element('th', {}, names[t]),
      ...row.map((count, p) => {
        const share = total === 0 ? 0 : count / total;
        const colour = t === p ? '31, 157, 85' : '214, 69, 69';
        return element('td', {
          class: t === p ? 'right' : 'wrong',
          style: 'background: rgba(' + colour + ', ' + (0.08 + 0.8 * share).toFixed(2) + ')',
          title: names[t] + ' taken for ' + names[p] + ': ' + count + ' of ' + total,
        }, String(count));
      }),
      element('td', { class: 'edge' }, percent(evaluation.classes[t].recall)));
  });
  const foot = element('tr', {}, element('th', {}, 'precision'),
    ...evaluation.classes.map((c) => element('td', { class: 'edge' }, percent(c.precision))),
    element('td', { class: 'edge' }, percent(evaluation.accuracy)));
  return element('div', { class: 'evaluation' },
    element('div', { class: 'muted' }, evaluation.split + ': ' + evaluation.examples + ' examples, accuracy '
      + percent(evaluation.accuracy)),
    element('table', { class: 'confusion' }, head, ...rows, foot));
}

function fillSelect(select, values) {
  const chosen = select.value;
  select.replaceChildren(...values.map((v) => element('option', { value: v }, v)));
  if (values.includes(chosen)) select.value = chosen;
}

function size(bytes) {
  return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + ' MB' : (bytes / 1024).toFixed(1) + ' KB';
}

async function refreshModels() {
  try {
    const registry = await call('/v2/registry');
    const text = JSON.stringify(registry);
    state.registry = registry;
    // Re-rendered only when something changed, so an open menu or a selection survives the poll.
    if (text !== state.registryText) {
      state.registryText = text;
      renderModels(registry);
    }
  } catch (e) {
    state.registryText = null;
    $('models').replaceChildren(element('p', { class: 'error' }, 'Cannot read the registry: ' + e.message));
  }
}

// ---- Live metrics --------------------------------------------------------------------------

function parseMetrics(text) {
  const totals = new Map();
  for (const line of text.split('\n')) {
    const match = /^(tuneserve_requests_total|tuneserve_request_duration_seconds_sum|tuneserve_request_duration_seconds_count)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const model = (/model="([^"]*)"/.exec(match[2]) || [])[1];
    if (!model) continue;
    const entry = totals.get(model) || { requests: 0, seconds: 0, timed: 0 };
    const value = parseFloat(match[3]);
    if (match[1] === 'tuneserve_requests_total') entry.requests += value;
    else if (match[1].endsWith('_sum')) entry.seconds += value;
    else entry.timed += value;
    totals.set(model, entry);
  }
  return totals;
}

async function refreshMetrics() {
  let text;
  try {
    const response = await fetch('/metrics');
    text = await response.text();
  } catch (e) {
    return;
  }
  const now = performance.now();
  const totals = parseMetrics(text);
  if (state.lastScrape) {
    const seconds = (now - state.lastScrape.at) / 1000;
    for (const [model, total] of totals) {
      const before = state.lastScrape.totals.get(model) || { requests: 0, seconds: 0, timed: 0 };
      const rate = (total.requests - before.requests) / seconds;
      const timed = total.timed - before.timed;
      const latency = timed > 0 ? (total.seconds - before.seconds) / timed * 1000 : 0;
      const series = state.metrics.get(model) || [];
      series.push({ rate, latency });
      if (series.length > 60) series.shift();
      state.metrics.set(model, series);
    }
  }
  state.lastScrape = { at: now, totals };
  renderMetrics();
}

function renderMetrics() {
  const box = $('metrics');
  box.replaceChildren();
  if (state.metrics.size === 0) {
    box.append(element('p', { class: 'muted' }, 'No requests yet.'));
  }
  for (const [model, series] of state.metrics) {
    const last = series[series.length - 1];
    const spark = element('canvas', { width: 300, height: 28 });
    drawLines(spark, [{ values: series.map((p) => p.rate), color: '#2f6fde' }], false);
    box.append(element('div', { class: 'metric', 'data-model': model },
      element('span', {}, model), spark,
      element('span', {}, last.rate.toFixed(1) + ' req/s'),
      element('span', {}, last.latency.toFixed(1) + ' ms')));
  }
}

// ---- Classification ------------------------------------------------------------------------

async function classify(file) {
  const target = $('classify-model').value;
  const result = $('classify-result');
  if (!target) {
    result.replaceChildren(element('p', { class: 'error' }, 'No model to classify with.'));
    return;
  }
  const [model, version] = target.split('/');
  result.replaceChildren(element('p', { class: 'muted' }, 'classifying…'));
  try {
    const answer = await call('/v1/models/' + model + '/versions/' + version + ':classify-image?top_k=5', {
      method: 'POST', headers: { 'content-type': file.type || 'image/png' }, body: file,
    });
    const preview = element('img', { alt: file.name || 'image' });
    preview.src = URL.createObjectURL(file);
    const bars = element('div', { class: 'predictions' });
    for (const p of answer.predictions) {
      bars.append(element('div', { class: 'bar' },
        element('span', { class: 'label' }, p.label || String(p.index)),
        element('span', { class: 'fill', style: 'width:' + Math.max(2, p.score * 200) + 'px' }),
        element('span', { class: 'muted' }, p.score.toFixed(3))));
    }
    result.replaceChildren(preview, element('div', {},
      element('div', { class: 'muted' }, answer.model_name + ' v' + answer.model_version), bars));
  } catch (e) {
    result.replaceChildren(element('p', { class: 'error' }, e.message));
  }
}

function setUpDrop() {
  const zone = $('classify-drop');
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = event.dataTransfer.files[0];
    if (file) classify(file);
  });
  $('classify-file').addEventListener('change', (event) => {
    const file = event.target.files[0];
    if (file) classify(file);
  });
}

// ---- Fine-tuning ---------------------------------------------------------------------------

function addClassRow(label = '') {
  const row = element('div', { class: 'class-row' },
    element('input', { type: 'text', class: 'class-label', placeholder: 'label', value: label }),
    element('input', { type: 'file', class: 'class-files', multiple: '', accept: 'image/png,image/jpeg' }));
  $('job-classes').append(row);
}

async function submitJob(event) {
  event.preventDefault();
  const form = new FormData();
  form.append('job', JSON.stringify({
    base_model: $('job-base').value,
    target_model: $('job-target').value,
    strategy: $('job-strategy').value,
    hyperparameters: { epochs: parseInt($('job-epochs').value, 10) },
  }));
  for (const row of document.querySelectorAll('.class-row')) {
    const label = row.querySelector('.class-label').value.trim();
    for (const file of row.querySelector('.class-files').files) {
      if (label) form.append(label, file, file.name);
    }
  }
  showJob({ state: 'SUBMITTING', epochs: [] });
  try {
    const job = await call('/v1/jobs', { method: 'POST', body: form });
    follow(job.id);
  } catch (e) {
    showJob({ state: 'FAILED', error: e.message, epochs: [] });
  }
}

function follow(id) {
  const t = token();
  const events = new EventSource('/v1/jobs/' + id + '/events' + (t ? '?access_token=' + encodeURIComponent(t) : ''));
  events.addEventListener('job', (message) => {
    const job = JSON.parse(message.data);
    showJob(job);
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.state)) {
      events.close();
      refreshModels();
    }
  });
  events.onerror = () => events.close();
}

function showJob(job) {
  const stateLabel = $('job-state');
  stateLabel.textContent = job.state;
  stateLabel.className = job.state;
  const detail = [];
  if (job.phase) detail.push(job.phase);
  if (job.progress !== undefined) detail.push(Math.round(job.progress * 100) + '%');
  if (job.decision) detail.push('auto chose ' + job.decision.chosen);
  if (job.result) detail.push('published ' + job.result.model + ' v' + job.result.version);
  if (job.error) detail.push(job.error);
  if (job.node) detail.push('on node ' + job.node.slice(0, 8));
  $('job-detail').textContent = detail.join(' · ');
  const evaluations = (job.result && job.result.evaluations) || [];
  $('job-evaluation').replaceChildren(...evaluations.map(confusionTable));
  const epochs = job.epochs || [];
  const plot = $('job-plot');
  plot.dataset.points = String(epochs.length);
  const maxLoss = Math.max(1e-9, ...epochs.map((e) => e.loss));
  drawLines(plot, [
    { values: epochs.map((e) => e.loss / maxLoss), color: '#d64545' },
    { values: epochs.map((e) => e.train_accuracy), color: '#2f6fde' },
    { values: epochs.map((e) => e.validation_accuracy), color: '#1f9d55' },
  ], true);
}

function drawLines(canvas, lines, grid) {
  const g = canvas.getContext('2d');
  const w = canvas.width;
  const h = canvas.height;
  g.clearRect(0, 0, w, h);
  if (grid) {
    g.strokeStyle = '#eef2f7';
    for (let i = 1; i < 4; i++) {
      g.beginPath(); g.moveTo(0, h * i / 4); g.lineTo(w, h * i / 4); g.stroke();
    }
  }
  let top = 1;
  if (!grid) top = Math.max(1e-9, ...lines.flatMap((l) => l.values));
  for (const line of lines) {
    const points = line.values.filter((v) => v !== undefined && !Number.isNaN(v));
    if (points.length === 0) continue;
    g.strokeStyle = line.color;
    g.lineWidth = 2;
    g.beginPath();
    points.forEach((v, i) => {
      const x = points.length === 1 ? w / 2 : i * (w - 8) / (points.length - 1) + 4;
      const y = h - 4 - (v / top) * (h - 8);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
    if (points.length === 1) {
      g.fillStyle = line.color;
      g.fillRect(w / 2 - 2, h - 4 - (points[0] / top) * (h - 8) - 2, 4, 4);
    }
  }
}

// ---- Start ---------------------------------------------------------------------------------

$('token').value = localStorage.getItem('tuneserve-token') || '';
$('token').addEventListener('change', () => {
  localStorage.setItem('tuneserve-token', token());
  refreshModels();
});
$('job-add-class').addEventListener('click', () => addClassRow());
$('job-form').addEventListener('submit', submitJob);
addClassRow();
addClassRow();
setUpDrop();
refreshModels();
refreshMetrics();
setInterval(refreshModels, 3000);
setInterval(refreshMetrics, 2000);
