// Building DOM nodes from data. Text always goes in as text nodes, never as HTML,
// so a pod named "<b>x</b>" is drawn as those characters.

/** An element with attributes (null/undefined/false skipped) and children (strings become text nodes). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Sets an attribute only when it differs: touching unchanged attributes still costs style work. */
export function setData(element, name, value) {
  const text = String(value);
  if (element.dataset[name] !== text) element.dataset[name] = text;
}

/** Sets an element's text, reusing its text node: replacing the node would relayout more than the words. */
export function setText(element, text) {
  const only = element.firstChild;
  if (only && only === element.lastChild && only.nodeType === Node.TEXT_NODE) {
    if (only.data !== text) only.data = text;
  } else if (element.textContent !== text) {
    element.textContent = text;
  }
}

/** Shows or hides an element, touching the attribute only on a change (each touch restyles it). */
export function setHidden(element, hidden) {
  if (element.hidden !== hidden) element.hidden = hidden;
}
