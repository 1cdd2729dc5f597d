// The user's jobs, newest first and paged, as GET /jobs gives them; the unfinished ones followed live through
// /jobs/{id}/events; the MP3 downloaded with its original name; a job deleted after a confirmation.

import { ApiError, follow, json, request } from './api.js';
import { announce, bytes, duration, h, hidden, when } from './ui.js';

const PAGE_SIZE = 10;
// a browser opens at most 6 connections to a server over HTTP/1.1: leave room for uploads and the page's own requests
const FOLLOWED_AT_ONCE = 3;

let retentionSeconds = 0;
let offset = 0;
let following = new AbortController();
const rows = new Map();

export function setUp(limits) {
  retentionSeconds = limits.mp3RetentionSeconds;
  document.getElementById('retention').textContent =
    `MP3s are kept for ${duration(retentionSeconds)} after they are made, then deleted.`;
  document.getElementById('newer').addEventListener('click', () => load(Math.max(0, offset - PAGE_SIZE), 'newer'));
  document.getElementById('older').addEventListener('click', () => load(offset + PAGE_SIZE, 'older'));
}

/** Stops following and forgets the list (sign-out). */
export function clear() {
  following.abort();
  rows.clear();
  document.getElementById('jobs').replaceChildren();
  document.getElementById('jobs-summary').textContent = '';
}

/** Shows the page of jobs starting at `at`; the focus stays on the control that had it (`focusId` otherwise). */
export async function load(at = offset, focusId = null) {
  const focused = document.activeElement;
  const focusKey = focused && focused.dataset.focusKey;
  const message = document.getElementById('jobs-message');
  let page;
  try {
    page = await json(`/jobs?offset=${at}&limit=${PAGE_SIZE}`);
  } catch (error) {
    message.textContent = `Your jobs could not be loaded: ${error.message}`;
    message.hidden = false;
    return;
  }
  message.hidden = true;
  if (page.items.length === 0 && page.offset > 0) {
    await load(Math.max(0, page.offset - PAGE_SIZE), focusId);
    return;
  }
  following.abort();
  following = new AbortController();
  rows.clear();
  offset = page.offset;
  const list = document.getElementById('jobs');
  list.replaceChildren(...page.items.map((job) => new Row(job).element));
  const first = page.items.length ? page.offset + 1 : 0;
  document.getElementById('jobs-summary').textContent = page.total === 0
    ? 'No conversions yet: add a video above.'
    : `Showing ${first} to ${page.offset + page.items.length} of ${page.total}, newest first.`;
  document.getElementById('newer').disabled = !page.links.prev;
  document.getElementById('older').disabled = !page.links.next;
  document.querySelector('.pager').hidden = !page.links.prev && !page.links.next;
  const restore = focusKey && list.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
  if (restore) {
    restore.focus();
  } else if (focusId) {
    const target = document.getElementById(focusId);
    (target.disabled ? document.getElementById('jobs-heading') : target).focus();
  }
  followLive(page.items.filter((job) => !terminal(job.state)).map((job) => job.jobId), following.signal);
}

function terminal(state) {
  return state === 'DONE' || state === 'FAILED';
}

async function followLive(ids, signal) {
  const queue = [...ids];
  const worker = async () => {
    while (queue.length > 0 && !signal.aborted) {
      const id = queue.shift();
      try {
        await follow(`/jobs/${id}/events`, (type, job) => {
          const row = rows.get(id);
          if (row) {
            row.update(job);
          }
          return type !== 'end';
        }, signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && rows.has(id)) {
          rows.get(id).gone();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: FOLLOWED_AT_ONCE }, worker));
}

const COVER_WORDS = { frame: 'cover from a frame', none: 'no cover' };

/** The options the job was asked for, as the page's controls name them. */
function optionWords(asked) {
  const options = asked || {};
  const given = (value) => value !== null && value !== undefined;
  const words = [];
  if (options.bitrateKbps) {
    words.push(`${options.bitrateKbps} kb/s`);
  } else if (given(options.vbrQuality)) {
    words.push(`VBR V${options.vbrQuality}`);
  } else {
    words.push('standard quality');
  }
  if (given(options.loudness)) {
    words.push(`${String(options.loudness).replace('-', '−')} LUFS`);
  }
  if (COVER_WORDS[options.cover]) {
    words.push(COVER_WORDS[options.cover]);
  }
  return words.join(' · ');
}

function fileNameOf(disposition, fallback) {
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  if (encoded) {
    return decodeURIComponent(encoded[1]);
  }
  const plain = /filename="([^"]+)"/i.exec(disposition || '');
  return plain ? plain[1] : fallback;
}

/** One job in the list: its elements stay while its state changes, so a focused button keeps the focus. */
class Row {
  constructor(job) {
    this.job = job;
    const name = job.sourceName;
    this.state = h('p', { class: 'job-state' });
    this.progress = h('progress', { max: 1, value: 0, 'aria-label': `Conversion of ${name}` });
    this.detail = h('p', { class: 'job-detail' });
    this.download = h('button', { type: 'button', class: 'button small', 'data-focus-key': `download-${job.jobId}`,
      onclick: () => this.fetchMp3() }, 'Download MP3', hidden(` of ${name}`));
    this.remove = h('button', { type: 'button', class: 'button secondary small', 'data-focus-key': `delete-${job.jobId}`,
      onclick: () => this.confirmDelete() }, 'Delete', hidden(` ${name}`));
    this.actions = h('div', { class: 'actions' }, this.download, this.remove);
    this.element = h('li', { class: 'job', 'data-job': job.jobId },
      h('div', { class: 'job-head' }, h('strong', { class: 'name' }, name),
        h('span', { class: 'meta' }, `${bytes(job.sourceBytes)} · ${optionWords(job.options)} · added ${when(job.createdAt)}`)),
      this.state, this.progress, this.detail, this.actions);
    rows.set(job.jobId, this);
    this.update(job, false);
  }

  update(job, live = true) {
    const before = this.job.state;
    this.job = job;
    this.element.dataset.state = job.state;
    this.progress.hidden = job.state !== 'PROCESSING';
    this.progress.value = job.progress || 0;
    this.download.hidden = !(job.links && job.links.mp3);
    this.detail.hidden = true;
    const name = job.sourceName;
    switch (job.state) {
      case 'QUEUED':
        this.state.replaceChildren(this.badge('Waiting'), ' to be converted');
        break;
      case 'PROCESSING':
        this.state.replaceChildren(this.badge('Converting'), ` ${Math.floor((job.progress || 0) * 100)}%`);
        break;
      case 'DONE':
        this.state.replaceChildren(this.badge('Done'), job.mp3
          ? ` ${duration(job.mp3.durationSeconds)} of audio, ${bytes(job.mp3.bytes)}` : '');
        this.describeKeeping(job);
        break;
      case 'FAILED':
        this.state.replaceChildren(this.badge('Failed'), ` ${job.error ? job.error.message : 'the conversion did not succeed'}`);
        break;
      default:
        this.state.replaceChildren(this.badge(job.state));
    }
    if (live && before !== job.state) {
      if (job.state === 'DONE') {
        announce(`${name} is converted: its MP3 is ready to download.`);
      } else if (job.state === 'FAILED') {
        announce(`${name} could not be converted: ${job.error ? job.error.message : ''}`);
      } else if (job.state === 'PROCESSING') {
        announce(`${name} is converting.`);
      }
    }
  }

  badge(words) {
    return h('span', { class: `badge badge-${this.job.state.toLowerCase()}` }, words);
  }

  describeKeeping(job) {
    this.detail.hidden = false;
    if (job.mp3ExpiredAt) {
      this.detail.textContent = `The MP3 was deleted on ${when(job.mp3ExpiredAt)}, after ${duration(retentionSeconds)}.`;
    } else if (job.finishedAt) {
      this.detail.textContent = `Kept until ${when(Date.parse(job.finishedAt) + retentionSeconds * 1000)}.`;
    }
  }

  gone() {
    this.state.replaceChildren(this.badge('Deleted'));
    this.download.hidden = true;
  }

  say(words) {
    this.detail.hidden = false;
    this.detail.textContent = words;
    announce(words);
  }

  async fetchMp3() {
    if (this.element.getAttribute('aria-busy') === 'true') {
      return;
    }
    this.element.setAttribute('aria-busy', 'true');
    const fallback = this.job.sourceName.replace(/\.[^.]*$/, '') + '.mp3';
    try {
      const response = await request(`/jobs/${this.job.jobId}/mp3`);
      const name = fileNameOf(response.headers.get('Content-Disposition'), fallback);
      const url = URL.createObjectURL(await response.blob());
      const link = h('a', { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 60000);
      announce(`Downloaded ${name}.`);
    } catch (error) {
      this.say(`The MP3 could not be downloaded: ${error.message}`);
    } finally {
      this.element.removeAttribute('aria-busy');
    }
  }

  confirmDelete() {
    const name = this.job.sourceName;
    const yes = h('button', { type: 'button', class: 'button warning small', onclick: () => this.delete() },
      'Yes, delete', hidden(` ${name}`));
    const keep = h('button', { type: 'button', class: 'button secondary small', onclick: () => {
      this.actions.replaceChildren(this.download, this.remove);
      this.remove.focus();
    } }, 'Keep it');
    this.actions.replaceChildren(h('p', { class: 'confirm' }, `Delete “${name}” and its MP3?`), yes, keep);
    yes.focus();
  }

  async delete() {
    const name = this.job.sourceName;
    try {
      await request(`/jobs/${this.job.jobId}`, { method: 'DELETE' });
      announce(`Deleted ${name}.`);
      await load(offset, 'jobs-heading');
    } catch (error) {
      this.actions.replaceChildren(this.download, this.remove);
      this.remove.focus();
      this.say(`${name} could not be deleted: ${error.message}`);
    }
  }
}
