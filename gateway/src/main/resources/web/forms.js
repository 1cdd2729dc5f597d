// Form errors the GOV.UK Design System way: a summary at the top of the form that takes the focus and links to
// each field, and the message again next to its field (announced with it through aria-describedby).

import { h, hidden } from './ui.js';

/** Clears the form's errors. */
export function clearErrors(form) {
  const summary = form.querySelector('.error-summary');
  if (summary) {
    summary.remove();
  }
  for (const message of form.querySelectorAll('.error-message')) {
    message.hidden = true;
    message.replaceChildren();
  }
  for (const field of form.querySelectorAll('[aria-invalid]')) {
    field.removeAttribute('aria-invalid');
    field.closest('.field').classList.remove('field-error');
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
  form.querySelector('h2').after(summary);
  for (const { field, message } of errors) {
    if (field) {
      const input = form.elements[field];
      const inline = document.getElementById(`${input.id}-error`);
      inline.replaceChildren(hidden('Error: '), message);
      inline.hidden = false;
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
export function missing(form) {
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
