// Small helpers every part of the page uses: building elements (text only, never HTML), words for sizes and
// times, and the one live region that tells screen-reader users what changed.

/** An element with attributes (on* are listeners, `hidden`/`disabled` booleans) and children (text or nodes). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) {
      continue;
    }
    if (name.startsWith('on')) {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else {
      element.setAttribute(name, value === true ? '' : value);
    }
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** Text that screen readers read and others do not see. */
export function hidden(text) {
  return h('span', { class: 'visually-hidden' }, text);
}

const announcer = () => document.getElementById('announcer');

/** Says `message` in the polite live region (the same message twice is said twice). */
export function announce(message) {
  const region = announcer();
  region.textContent = '';
  window.setTimeout(() => { region.textContent = message; }, 50);
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

export function bytes(count) {
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits).replace(/\.0$/, '')} ${UNITS[unit]}`;
}

/** "about 3 min", "12 s", "2 days": a length of time in the largest unit that fits. */
export function duration(seconds) {
  const steps = [[86400, 'day', 'days'], [3600, 'hour', 'hours'], [60, 'min', 'min'], [1, 's', 's']];
  for (const [size, one, many] of steps) {
    if (seconds >= size || size === 1) {
      const count = Math.max(0, Math.round(seconds / size));
      return `${count} ${count === 1 ? one : many}`;
    }
  }
  return '';
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function when(isoOrDate) {
  return dateTime.format(new Date(isoOrDate));
}

/** Shows or hides an element and keeps it out of the tab order when hidden. */
export function show(element, visible) {
  element.hidden = !visible;
}
