// dom — building the page with DOM calls only. Every string child becomes a text node, so text
// from the survey or from experts can never become markup (the page never uses innerHTML).

const SVG_NS = 'http://www.w3.org/2000/svg';

// props: "class" -> className, "text" -> textContent, "on<event>" -> listener, booleans for
// boolean attributes (true sets, false/null/undefined omits), anything else -> setAttribute.
function apply(el, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}

function append(el, kids) {
  for (const c of kids) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return el;
}

// h('p', {class: 'x'}, 'text', child, [more]) -> <p class="x">text…</p>
export function h(tag, props, ...kids) {
  return append(apply(document.createElement(tag), props), kids);
}

// The same for SVG elements.
export function s(tag, props, ...kids) {
  return append(apply(document.createElementNS(SVG_NS, tag), props), kids);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(sel, root) {
  return (root || document).querySelector(sel);
}

let uid = 0;
// A fresh id for label/aria wiring.
export function newId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// Appends children to el like h() does (null, undefined and false are skipped).
export function add(el, ...kids) {
  return append(el, kids);
}

// A number as people read it: at most two decimals, no trailing zeros; "–" when there is none.
export function fmtNum(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  return String(Math.round(v * 100) / 100);
}
