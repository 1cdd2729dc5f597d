// Uploads with tus (tus-js-client, vendored): each file checked against the server's limits first, then sent to
// /files/ with progress, speed and time left; pause, resume, cancel; retries after a network blip; and the same file
// picked again after a reload continues from the server's offset (tus-js-client keeps the upload's URL, never the
// token, in localStorage under a fingerprint that names the user).

import { authorization, currentSession, problemOf } from './api.js';
import { announce, bytes, duration, h, hidden } from './ui.js';

const { tus } = globalThis;
const RUNNING_AT_ONCE = 2;
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];
const SPEED_WINDOW_MS = 5000;

let limits = null;
let uploaded = async () => {};
let sessionEnded = () => {};
const waiting = [];
const running = new Set();

/** `whenUploaded(jobId)` after each upload; `whenSessionEnds(words)` when the server refuses the token. */
export function setUp(serverLimits, whenUploaded, whenSessionEnds) {
  limits = serverLimits;
  uploaded = whenUploaded;
  sessionEnded = whenSessionEnds;
  window.addEventListener('offline', () => running.forEach((item) => item.connectionLost()));
  window.addEventListener('online', () => running.forEach((item) => item.connectionBack()));
}

/** The conversion options of the form's named controls; a select marked data-pairs has "key=value" values. */
export function optionsOf(form) {
  const metadata = {};
  const words = [];
  for (const control of form.elements) {
    if (!control.name || control.value === '') {
      continue;
    }
    if (control.dataset.pairs !== undefined) {
      const [key, value] = control.value.split('=');
      metadata[key] = value;
      words.push(control.selectedOptions[0].textContent);
    } else {
      metadata[control.name] = control.value;
      words.push(`${control.labels[0].textContent}: ${control.value}`);
    }
  }
  return { metadata, words: words.join(', ') };
}

/** Files picked or dropped: each one checked, then sent with the options chosen now. */
export function add(files, options) {
  for (const file of files) {
    const item = new Upload(file, options);
    const refusal = refusalOf(file);
    if (refusal) {
      item.refused(refusal);
    } else {
      waiting.push(item);
    }
  }
  next();
}

/** Stops every upload where it is (sign-out); the same files picked again later continue. */
export function stopAll() {
  [...running, ...waiting].forEach((item) => item.stop());
  waiting.length = 0;
  running.clear();
  document.getElementById('uploads').replaceChildren();
  document.getElementById('unfinished').replaceChildren();
}

function refusalOf(file) {
  if (file.size === 0) {
    return `“${file.name}” is empty: there is nothing to convert.`;
  }
  const type = file.type;
  const media = limits.accept.some((pattern) => (pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
  if (type && !media) {
    return `“${file.name}” is not a video or audio file (it is ${type}). Choose a video.`;
  }
  if (file.size > limits.maxUploadBytes) {
    return `“${file.name}” is ${bytes(file.size)}; the largest file we take is ${bytes(limits.maxUploadBytes)}.`;
  }
  return null;
}

function next() {
  while (running.size < RUNNING_AT_ONCE && waiting.length > 0) {
    const item = waiting.shift();
    running.add(item);
    item.start();
  }
}

function finished(item) {
  running.delete(item);
  next();
}

function prefix() {
  return `tus::mp3converter|${currentSession().email}|`;
}

/** The uploads this user left unfinished (a reload, a closed tab): picking the same file again continues them. */
export async function showUnfinished() {
  const list = document.getElementById('unfinished');
  const mine = (await tus.defaultOptions.urlStorage.findAllUploads())
    .filter((stored) => stored.urlStorageKey.startsWith(prefix()));
  list.replaceChildren(...mine.map((stored) => {
    const name = (stored.metadata && stored.metadata.filename) || 'a file';
    const discard = h('button', { type: 'button', class: 'button secondary small' }, 'Discard', hidden(` ${name}`));
    const row = h('li', { 'data-key': stored.urlStorageKey },
      h('span', {}, h('strong', {}, name), ` (${bytes(stored.size)}) was not finished. Choose it again to continue where it stopped.`),
      discard);
    discard.addEventListener('click', async () => {
      row.remove();
      await tus.defaultOptions.urlStorage.removeUpload(stored.urlStorageKey);
      tus.Upload.terminate(stored.uploadUrl, { headers: { Authorization: authorization() }, retryDelays: [] }).catch(() => {});
      announce(`Discarded the unfinished upload of ${name}.`);
      document.getElementById('files').focus();
    });
    return row;
  }));
}

function statusOf(error) {
  return error.originalResponse ? error.originalResponse.getStatus() : 0;
}

/** One file on its way: its row in the list and its tus upload. */
class Upload {
  constructor(file, options) {
    this.file = file;
    this.options = options;
    this.samples = [];
    this.progress = h('progress', { max: file.size, value: 0, 'aria-label': `Upload of ${file.name}` });
    this.status = h('p', { class: 'upload-status' }, 'Waiting to start');
    this.pause = h('button', { type: 'button', class: 'button secondary small', onclick: () => this.togglePause() },
      'Pause', hidden(` ${file.name}`));
    this.cancel = h('button', { type: 'button', class: 'button secondary small', onclick: () => this.cancelled() },
      'Cancel', hidden(` ${file.name}`));
    this.row = h('li', { class: 'upload', 'data-state': 'waiting' },
      h('div', { class: 'upload-head' }, h('strong', { class: 'name' }, file.name),
        h('span', { class: 'meta' }, `${bytes(file.size)} · ${options.words}`)),
      this.progress, this.status, h('div', { class: 'actions' }, this.pause, this.cancel));
    document.getElementById('uploads').append(this.row);
  }

  async start() {
    this.state('uploading', 'Starting…');
    this.fingerprint = [prefix().slice('tus::'.length), this.file.name, this.file.type, this.file.size,
      this.file.lastModified, new URLSearchParams(this.options.metadata)].join('|');
    this.upload = new tus.Upload(this.file, {
      endpoint: new URL('/files/', window.location.href).href,
      metadata: { filename: this.file.name, ...this.options.metadata },
      fingerprint: () => Promise.resolve(this.fingerprint),
      removeFingerprintOnSuccess: true,
      retryDelays: RETRY_DELAYS,
      onBeforeRequest: (request) => request.setHeader('Authorization', authorization()),
      onShouldRetry: (error) => {
        const status = statusOf(error);
        return navigator.onLine && (status === 0 || status >= 500 || [409, 423, 429].includes(status));
      },
      onProgress: (sent, total) => this.sent(sent, total),
      onSuccess: ({ lastResponse }) => this.succeeded(lastResponse),
      onError: (error) => this.failed(error),
    });
    const previous = await this.upload.findPreviousUploads();
    if (previous.length > 0) {
      this.upload.resumeFromPreviousUpload(previous[0]);
      this.resumedFrom = null;
      const row = document.querySelector(`#unfinished [data-key="${CSS.escape(previous[0].urlStorageKey)}"]`);
      if (row) {
        row.remove();
      }
    }
    this.upload.start();
  }

  sent(sent, total) {
    const now = performance.now();
    if (this.samples.length === 0 && sent > 0 && this.resumedFrom === null) {
      this.resumedFrom = sent;
      announce(`Continuing ${this.file.name} from ${Math.floor((100 * sent) / total)}%.`);
    }
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > SPEED_WINDOW_MS) {
      this.samples.shift();
    }
    this.progress.value = sent;
    const percent = Math.floor((100 * sent) / total);
    const [since, from] = this.samples[0];
    const speed = now > since ? ((sent - from) * 1000) / (now - since) : 0;
    const left = speed > 0 ? ` · ${bytes(speed)}/s · about ${duration((total - sent) / speed)} left` : '';
    const continued = this.resumedFrom ? ` · continued from ${Math.floor((100 * this.resumedFrom) / total)}%` : '';
    this.status.textContent = `${percent}% · ${bytes(sent)} of ${bytes(total)}${left}${continued}`;
  }

  async succeeded(response) {
    this.state('done', 'Uploaded. Converting: follow it under Your MP3s.');
    this.pause.hidden = true;
    this.cancel.hidden = true;
    finished(this);
    const link = /<\/jobs\/([^>]+)>/.exec(response.getHeader('Link') || '');
    announce(`${this.file.name} is uploaded and converting.`);
    await uploaded(link ? link[1] : null);
    this.remove();
  }

  async failed(error) {
    const status = statusOf(error);
    if (status === 0 && !navigator.onLine) {
      this.connectionLost();
      return;
    }
    if (status === 0) {
      this.state('stalled', 'The server cannot be reached. Resume to try again; nothing already sent is lost.');
      this.pause.firstChild.textContent = 'Resume';
      announce(`${this.file.name}: the server cannot be reached.`);
      return;
    }
    const problem = await problemOf(status, error.originalResponse.getBody());
    if (status === 401) {
      this.state('stopped', 'Stopped: sign in again, then choose this file again to continue where it stopped.');
      this.endButtons();
      sessionEnded(problem.message);
      return;
    }
    await this.forget();
    this.refused(problem.message);
  }

  refused(words) {
    this.state('failed', words);
    this.progress.hidden = true;
    this.endButtons();
    announce(`${this.file.name} was not sent: ${words}`);
  }

  endButtons() {
    finished(this);
    this.pause.hidden = true;
    this.cancel.replaceChildren('Remove', hidden(` ${this.file.name}`));
    this.cancel.onclick = null;
  }

  togglePause() {
    if (this.row.dataset.state === 'paused' || this.row.dataset.state === 'stalled') {
      this.pause.firstChild.textContent = 'Pause';
      this.state('waiting', 'Waiting to continue');
      running.delete(this);
      waiting.unshift(this);
      next();
      announce(`${this.file.name} continues.`);
    } else {
      this.leaveQueue();
      if (this.upload) {
        this.upload.abort();
      }
      this.pause.firstChild.textContent = 'Resume';
      this.state('paused', `Paused at ${Math.floor((100 * this.progress.value) / this.file.size)}%. Nothing sent is lost.`);
      finished(this);
      announce(`${this.file.name} paused.`);
    }
  }

  async cancelled() {
    this.leaveQueue();
    if (this.upload && !['failed', 'stopped'].includes(this.row.dataset.state)) {
      await this.upload.abort(true).catch(() => this.forget());
      announce(`Cancelled ${this.file.name}.`);
    }
    finished(this);
    this.remove();
  }

  leaveQueue() {
    const index = waiting.indexOf(this);
    if (index >= 0) {
      waiting.splice(index, 1);
    }
  }

  connectionLost() {
    if (this.row.dataset.state !== 'uploading' && this.row.dataset.state !== 'offline') {
      return;
    }
    this.upload.abort();
    this.samples = [];
    const percent = Math.floor((100 * this.progress.value) / this.file.size);
    this.state('offline', `Connection lost at ${percent}%. It continues by itself when you are back online.`);
    announce(`Connection lost. ${this.file.name} continues when you are back online.`);
  }

  connectionBack() {
    if (this.row.dataset.state === 'offline') {
      this.state('uploading', 'Back online: continuing…');
      this.upload.start();
    }
  }

  stop() {
    if (this.upload) {
      this.upload.abort();
    }
  }

  /** The server refused the upload: picking the file again starts a new one. */
  async forget() {
    const storage = tus.defaultOptions.urlStorage;
    for (const stored of await storage.findUploadsByFingerprint(this.fingerprint)) {
      await storage.removeUpload(stored.urlStorageKey);
    }
  }

  state(name, words) {
    this.row.dataset.state = name;
    this.status.textContent = words;
  }

  remove() {
    const hadFocus = this.row.contains(document.activeElement);
    this.row.remove();
    if (hadFocus) {
      document.getElementById('files').focus();
    }
  }
}
