// The page's start: the server's limits, then either the sign-in forms or the signed-in view (uploads and jobs).

import * as account from './account.js';
import { currentSession, endSession, json, onSessionEnded, signIn, signUp } from './api.js';
import { showErrors, submitting } from './forms.js';
import * as jobs from './jobs.js';
import * as uploads from './uploads.js';
import { announce, bytes } from './ui.js';

const byId = (id) => document.getElementById(id);

async function start() {
  let limits;
  try {
    limits = await json('/limits', { authenticated: false });
  } catch (error) {
    byId('start-error').textContent = `The page could not start: ${error.message}`;
    byId('start-error').hidden = false;
    return;
  }
  byId('files-hint').textContent = `Videos or audio files, up to ${bytes(limits.maxUploadBytes)} each.`;
  byId('files').accept = limits.accept.join(',');
  jobs.setUp(limits);
  uploads.setUp(limits, async () => jobs.load(0), leave);
  onSessionEnded(leave);

  const credentials = (form) => [form.elements.email.value.trim(), form.elements.password.value];
  submitting(byId('sign-in'), async (form) => {
    await signIn(...credentials(form));
    enter();
  });
  submitting(byId('sign-up'), async (form) => {
    await signUp(...credentials(form));
    await signIn(...credentials(form)); // signed in at once; adding videos waits for the mailed link
    enter();
  });
  byId('sign-out').addEventListener('click', () => leave(null));
  choosing();

  if (currentSession()) {
    enter();
  } else {
    leave(null);
  }
  account.setUp(enter, (message) => leave(message, true));
}

function choosing() {
  const zone = byId('drop-zone');
  const input = byId('files');
  const add = (files) => uploads.add([...files], uploads.optionsOf(byId('options')));
  input.addEventListener('change', () => {
    add(input.files);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    add(event.dataTransfer.files);
  });
  // a file dropped beside the zone must not replace the page with itself
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

function enter() {
  const { email } = currentSession();
  account.showVerification();
  byId('signed-in-as').textContent = email;
  byId('account-bar').hidden = false;
  byId('signed-out').hidden = true;
  byId('signed-in').hidden = false;
  document.title = 'Your MP3s – mp3converter';
  byId('signed-in-heading').focus();
  announce(`Signed in as ${email}.`);
  jobs.load(0);
  uploads.showUnfinished();
}

/**
 * Back to the sign-in form; `reason` (the server's words) when the session ended by itself, or a message about the
 * account (`byAccount`) when it ended because of what the user did to it.
 */
function leave(reason, byAccount = false) {
  const wasIn = !byId('signed-in').hidden;
  uploads.stopAll();
  jobs.clear();
  endSession();
  byId('account-bar').hidden = true;
  byId('signed-in').hidden = true;
  byId('signed-out').hidden = false;
  document.title = 'mp3converter: turn videos into MP3s';
  const form = byId('sign-in');
  if (reason && byAccount) {
    const notice = byId('account-message');
    notice.textContent = reason;
    notice.classList.remove('notice-error');
    notice.hidden = false;
    notice.focus();
    announce(reason);
  } else if (reason) {
    showErrors(form, [{ field: null, message: `You are signed out: ${reason}` }]);
  } else if (wasIn) {
    byId('signed-out-heading').focus();
    announce('You are signed out.');
  }
}

start();
