// Forms that check before they send, and their errors the GOV.UK Design System way: a summary at the top of the form
// that takes the focus and links to each field, and the message again above its field (announced with it through
// aria-describedby); both are made when there is something to say and removed when it is put right.

import { h, hidden } from './ui.js';

/** Clears the form's errors. */
function clearErrors(form) {
  const summary = form.querySelector('.error-summary');
  if (summary) {
    summary.remove();
  }
  for (const message of form.querySelectorAll('.error-message')) {
    message.remove();
  }
  for (const field of form.querySelectorAll('[aria-invalid]')) {
    field.removeAttribute('aria-invalid');
    describedBy(field, `${field.id}-error`, false);
    field.closest('.field').classList.remove('field-error');
  }
}

/** Adds the id to the input's aria-describedby (after its hint), or takes it out. */
function describedBy(input, id, add) {
  const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter((each) => each && each !== id);
  if (add) {
    ids.push(id);
  }
  if (ids.length > 0) {
    input.setAttribute('aria-describedby', ids.join(' '));
  } else {
    input.removeAttribute('aria-describedby');
  }
}

/**
 * Shows `errors` ([{field, message}], field null for the form as a whole) and moves the focus to the summary so it
 * is read first.
 */
export function showErrors(form, errors) {
  clearErrors(form);
  const list = h('ul');
  const summary = h('div', { class: 'error-summary', tabindex: '-1' }, h('h3', {}, 'There is a problem'), list);
  form.querySelector('h2, h3').after(summary);
  for (const { field, message } of errors) {
    if (field) {
      const input = form.elements[field];
      input.before(h('p', { class: 'error-message', id: `${input.id}-error` }, hidden('Error: '), message));
      describedBy(input, `${input.id}-error`, true);
      input.setAttribute('aria-invalid', 'true');
      input.closest('.field').classList.add('field-error');
      list.append(h('li', {}, h('a', { href: `#${input.id}`, onclick: (event) => focusField(event, input) }, message)));
    } else {
      list.append(h('li', {}, message));
    }
  }
  summary.focus();
}

function focusField(event, input) {
  event.preventDefault();
  input.focus();
}

/** The errors of empty required fields and malformed e-mail addresses, in the fields' own words. */
function missing(form) {
  const errors = [];
  for (const input of form.querySelectorAll('input[required]')) {
    if (input.value.trim() === '') {
      errors.push({ field: input.name, message: input.dataset.missing });
    } else if (input.type === 'email' && !/^[^\s@]+@[^\s@]+$/.test(input.value.trim())) {
      errors.push({ field: input.name, message: 'Enter an e-mail address like name@example.com' });
    }
  }
  return errors;
}

/** A form whose submit checks the required fields, runs `action`, and shows the API's refusal in its own words. */
export function submitting(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = missing(form);
    if (errors.length > 0) {
      showErrors(form, errors);
      return;
    }
    const button = form.querySelector('button[type=submit]');
    if (button.getAttribute('aria-disabled') === 'true') {
      return;
    }
    button.setAttribute('aria-disabled', 'true');
    try {
      await action(form);
      clearErrors(form);
      form.reset();
    } catch (error) {
      showErrors(form, [{ field: null, message: error.message }]);
    } finally {
      button.removeAttribute('aria-disabled');
    }
  });
}
