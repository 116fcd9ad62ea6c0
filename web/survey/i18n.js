// i18n — the expert app's own texts in English, Japanese and Chinese (Simplified), and the choice
// of language. Texts of the survey itself (titles, questions, labels) come from its definition;
// these are only the words of the app around them. Each language is a module under i18n/, loaded
// when first needed (English always, as the fallback), so a page carries only what it shows.
//
// tr(key, vars) looks the key up in the current language, falls back to English, and replaces
// {name} with vars.name. Values are plain text: callers insert them with textContent.

import en from './i18n/en.js';

export const LANGS = [
  { code: 'en', name: 'English' },
  { code: 'ja', name: '日本語' },
  { code: 'zh', name: '中文' },
];

const DICT = { en };
let current = 'en';

const known = (code) => LANGS.some((l) => l.code === code);

// The language the app speaks now.
export function lang() {
  return current;
}

// Switches to code (unknown codes mean English), loading its texts first; sets <html lang>.
export async function setLang(code) {
  const want = known(code) ? code : 'en';
  if (!DICT[want]) {
    try {
      DICT[want] = (await import(`./i18n/${want}.js`)).default;
    } catch (e) {
      DICT[want] = {}; // not reachable: English texts stand in
    }
  }
  current = want;
  document.documentElement.lang = current;
}

// The first of the browser's preferred languages that the app speaks ("ja-JP" -> "ja"), else "en".
export function browserLang() {
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const p of prefs) {
    const primary = String(p).toLowerCase().split('-')[0];
    if (known(primary)) return primary;
  }
  return 'en';
}

export function tr(key, vars) {
  let s = DICT[current][key];
  if (s === undefined) s = en[key];
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}
