// The account: confirming the address (the mailed link, or sending it again), a forgotten password (asking for a
// link, choosing a new one with it), changing the password, and deleting the account. A mailed link brings its
// token after '#' (it never reaches a server's log); the page takes it out of the address at once.

import { currentSession, json, startSession } from './api.js';
import { submitting } from './forms.js';
import { announce } from './ui.js';

const byId = (id) => document.getElementById(id);

let signedIn = () => {};
let signedOut = () => {};

/** `entered()` shows the signed-in view again (the session changed); `left(message)` signs out with a message. */
export function setUp(entered, left) {
  signedIn = entered;
  signedOut = left;
  byId('forgot').addEventListener('click', () => {
    const form = byId('reset-request');
    form.hidden = false;
    byId('reset-request-email').value = byId('sign-in-email').value;
    byId('reset-request-heading').focus();
  });
  submitting(byId('reset-request'), async (form) => {
    const answer = await json('/account/password-reset', post({ email: form.elements.email.value.trim() }, false));
    form.hidden = true;
    say(answer.detail);
  });
  byId('verify-resend').addEventListener('click', resend);
  submitting(byId('reset'), async (form) => {
    await json('/account/password-reset/confirm', post({ token: resetToken, password: form.elements.password.value }, false));
    form.hidden = true;
    signedOut(null);
    say('Your password is changed. Sign in with the new one.');
  });
  submitting(byId('change-password'), async (form) => {
    const answer = await json('/account/password', post({
      password: form.elements.password.value, newPassword: form.elements.newPassword.value,
    }, true));
    startSession(currentSession().email, answer);
    say('Your password is changed. Your other sign-ins have ended; this one goes on.');
  });
  submitting(byId('delete-account'), async (form) => {
    await json('/me', { method: 'DELETE', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: form.elements.password.value }) });
    signedOut('Your account is deleted, with its jobs, files and webhooks.');
  });
  followLinks();
  // a link pasted into this tab changes only the part after '#'
  window.addEventListener('hashchange', followLinks);
}

function followLinks() {
  const reset = linkToken('reset');
  if (reset) {
    choosePassword(reset);
  }
  const verify = linkToken('verify');
  if (verify) {
    confirmAddress(verify);
  }
}

let watching = null;

/**
 * The verification notice and the upload card, as the session's token says. While the address is unconfirmed the
 * page looks every few seconds whether it was confirmed since (the link opened in another tab or on a phone) and
 * then brings its token up to date.
 */
export function showVerification() {
  const session = currentSession();
  byId('verify-notice').hidden = session.verified;
  byId('add').hidden = !session.verified;
  byId('verify-address').textContent = session.email;
  window.clearInterval(watching);
  if (!session.verified) {
    watching = window.setInterval(confirmedElsewhere, 5000);
  }
}

async function confirmedElsewhere() {
  const session = currentSession();
  if (!session || session.verified) {
    window.clearInterval(watching);
    return;
  }
  try {
    if (document.visibilityState === 'visible' && (await json('/me')).emailVerified) {
      startSession(session.email, await json('/account/token', post(null, true)));
      signedIn();
      say('Your e-mail address is confirmed: you can add videos now.');
    }
  } catch {
    // the next look, in a few seconds
  }
}

function linkToken(name) {
  const match = new RegExp(`^#${name}=([A-Za-z0-9_-]+)$`).exec(window.location.hash);
  if (!match) {
    return null;
  }
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return match[1];
}

async function confirmAddress(token) {
  try {
    const answer = await json('/account/verify', post({ token }, Boolean(currentSession())));
    if (answer.access_token && currentSession()) {
      startSession(currentSession().email, answer);
      signedIn();
      say('Your e-mail address is confirmed: you can add videos now.');
    } else {
      say('Your e-mail address is confirmed. Sign in to add videos.');
    }
  } catch (error) {
    say(error.message, true);
  }
}

async function resend() {
  try {
    const answer = await json('/account/verify/resend', post(null, true));
    say(answer.detail);
  } catch (error) {
    say(error.message, true);
  }
}

let resetToken = null;

function choosePassword(token) {
  resetToken = token;
  byId('reset').hidden = false;
  byId('reset-heading').focus();
}

function post(body, authenticated) {
  return {
    method: 'POST', authenticated, headers: { 'Content-Type': 'application/json' },
    body: body === null ? undefined : JSON.stringify(body),
  };
}

/** A message about the account at the top of the page, read at once. */
function say(message, error = false) {
  const notice = byId('account-message');
  notice.textContent = message;
  notice.classList.toggle('notice-error', error);
  notice.hidden = false;
  notice.focus();
  announce(message);
}
