// experts — a survey's experts: importing a CSV (checked first, with a preview and the errors by
// row, then confirmed), the list with sector, fields, invitation and response per round, and
// revoking or reissuing a link. New links exist only in the reply that made them: the page keeps
// them (until it is reloaded) and offers them as a CSV file made in the browser.

import { ApiError, api, csvLine, saveText, seg } from './api.js';
import { surveyDetail, surveyNav } from './app.js';
import {
  add, busy, clear, confirmButton, errorNotice, field, fieldError, h, heading, notice, readFile, table, txt,
} from './ui.js';

// slug -> [{id, token, link}] made on this page since it was loaded.
const freshLinks = new Map();

function linksOf(slug) {
  if (!freshLinks.has(slug)) freshLinks.set(slug, []);
  return freshLinks.get(slug);
}

function addLinks(slug, list) {
  const all = linksOf(slug);
  for (const l of list) {
    const i = all.findIndex((x) => x.id === l.id);
    if (i >= 0) all.splice(i, 1);
    all.push({ id: l.id, token: l.token, link: l.link });
  }
}

function stamp() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function linksPanel(slug) {
  const box = h('section', { class: 'panel panel-links', id: 'links-panel', 'aria-labelledby': 'links-h', tabindex: '-1' });
  const draw = () => {
    const list = linksOf(slug);
    clear(box);
    box.hidden = !list.length;
    if (!list.length) return;
    add(box,
      h('h2', { id: 'links-h' }, 'New invitation links'),
      h('p', null, `${list.length} link${list.length === 1 ? '' : 's'} made on this page. delphi keeps only a hash of each link: download them now, they cannot be shown again (a new link can be issued later).`),
      h('p', { class: 'actions' },
        h('button', { type: 'button', id: 'links-download', onclick: () => {
          const text = `${[csvLine(['id', 'token', 'link']), ...list.map((l) => csvLine([l.id, l.token, l.link]))].join('\n')}\n`;
          saveText(`${slug}-links-${stamp()}.csv`, text);
        } }, `Download the ${list.length} link${list.length === 1 ? '' : 's'} (CSV)`)),
      h('details', null, h('summary', null, 'Show the links'),
        h('ul', { class: 'links' }, ...list.map((l) => h('li', null, h('span', { class: 'code' }, l.id), ' ', h('code', { class: 'link' }, l.link))))));
  };
  box.draw = draw;
  draw();
  return box;
}

// ---- import ------------------------------------------------------------------------------------

function importPanel(v, slug, linksBox, reload) {
  const file = h('input', { type: 'file', id: 'csv-file', accept: '.csv,text/csv,text/plain' });
  const paste = h('textarea', { id: 'csv-text', rows: 5, spellcheck: 'false', placeholder: 'id,name,email,sector,fields' });
  const check = h('button', { type: 'submit', id: 'csv-check' }, 'Check the file');
  const out = h('div', { id: 'import-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'import-h' },
    h('h2', { id: 'import-h' }, 'Import experts'),
    h('p', null, 'A CSV file with a header row and the columns id, name, email, sector, fields (in any order). Sector is one of academia, industry, government, other; fields are field codes separated by ";". An id that exists already updates that expert (name, e-mail, sector and fields); the link stays.'),
    field('CSV file', file),
    field('Or paste the CSV here', paste),
    h('p', { class: 'actions' }, check),
    out);
  let source = null;

  const preview = async () => {
    clear(out);
    fieldError(file, '');
    const f = await readFile(file);
    const csv = f ? f.text : paste.value;
    if (!csv.trim()) {
      fieldError(file, 'Choose a file or paste the CSV first.');
      file.focus();
      return;
    }
    source = { name: f ? f.name : 'the pasted CSV', csv };
    let r;
    try {
      r = await api('POST', `/surveys/${seg(slug)}/experts/preview`, { csv });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      out.appendChild(errorNotice(e, 'The file could not be checked.'));
      return;
    }
    const rows = r.rows || [];
    const errors = r.errors || [];
    const count = r.error_count ?? errors.length;
    const nNew = rows.filter((x) => x.status === 'new').length;
    const nUpd = rows.filter((x) => x.status === 'update').length;
    add(out, h('h3', { id: 'preview-h', tabindex: '-1' }, `Preview of ${source.name}`),
      h('p', { id: 'preview-count' }, `${rows.length} row${rows.length === 1 ? '' : 's'}: ${nNew} new, ${nUpd} to update; ${count} error${count === 1 ? '' : 's'}.`));
    if (count) {
      add(out, h('div', { class: 'notice notice-error', role: 'alert', id: 'preview-errors' },
        h('p', null, h('strong', null, 'Fix these rows and check the file again. Nothing has been imported.')),
        h('ul', null, ...errors.map((x) => h('li', null, x.row ? `Row ${x.row}: ` : 'The file: ', x.message))),
        count > errors.length ? h('p', null, `… and ${count - errors.length} more.`) : null));
    }
    const shown = rows.slice(0, 500);
    if (rows.length) {
      out.appendChild(table([{ label: 'Row', cls: 'num' }, { label: 'ID' }, { label: 'Name' }, { label: 'E-mail' }, { label: 'Sector' }, { label: 'Fields' }, { label: 'Will be' }],
        shown.map((x) => [String(x.row), x.id, x.name, x.email || '–', x.sector, (x.fields || []).join('; '),
          h('span', { class: `state state-${x.status}` }, x.status === 'new' ? 'new' : 'updated')]),
        { caption: 'Rows to import', id: 'preview-table' }));
      if (rows.length > shown.length) out.appendChild(h('p', { class: 'hint' }, `The first ${shown.length} rows are shown.`));
    }
    if (!count && rows.length) {
      const go = h('button', { type: 'button', id: 'csv-import' }, `Import ${rows.length} expert${rows.length === 1 ? '' : 's'}`);
      go.addEventListener('click', () => busy(go, 'Importing…', async () => {
        try {
          const res = await api('POST', `/surveys/${seg(slug)}/experts`, { csv: source.csv });
          addLinks(slug, res.links || []);
          linksBox.draw();
          clear(out).appendChild(notice('ok', h('span', { id: 'import-done' },
            `Imported: ${res.imported} new, ${res.updated} updated. `,
            (res.links || []).length ? 'Their links are ready to download above.' : '')));
          file.value = '';
          paste.value = '';
          await reload();
          linksBox.focus();
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) return;
          const errs = e.data && e.data.errors ? e.data.errors : [];
          clear(out).appendChild(h('div', { class: 'notice notice-error', role: 'alert' },
            h('p', null, h('strong', null, 'Nothing was imported. '), e.message || ''),
            errs.length ? h('ul', null, ...errs.map((x) => h('li', null, x.row ? `Row ${x.row}: ` : '', x.message))) : null));
        }
      }));
      out.appendChild(h('p', { class: 'actions' }, go));
    }
    const hd = document.getElementById('preview-h');
    if (hd) hd.focus();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(check, 'Checking…', preview);
  });
  return form;
}

// ---- the list ----------------------------------------------------------------------------------

function roundCell(e) {
  const rs = e.rounds || [];
  if (!rs.length) return '–';
  return h('ul', { class: 'rounds' }, ...rs.map((r) => h('li', null, `R${r.number}: `,
    r.invited ? (r.responded ? h('span', { class: 'state state-done' }, 'answered') : h('span', { class: 'state' }, 'invited')) : h('span', { class: 'hint' }, 'not invited'))));
}

function expertRow(v, slug, e, linksBox) {
  const who = `${e.id}${e.name ? ` (${e.name})` : ''}`;
  const msg = h('span', { class: 'row-msg', 'aria-live': 'polite' });
  const status = h('span', { class: e.revoked ? 'state state-revoked' : 'state state-done', tabindex: '-1' }, e.revoked ? 'revoked' : 'active');
  const acts = h('div', { class: 'row-actions' });
  const drawActions = () => {
    clear(acts);
    if (e.revoked) return;
    add(acts,
      confirmButton('New link', 'Yes, replace the link', async () => {
        clear(msg);
        try {
          const r = await api('POST', `/surveys/${seg(slug)}/experts/${seg(e.id)}/reissue`, {});
          addLinks(slug, [{ id: r.id || e.id, token: r.token, link: r.link }]);
          linksBox.draw();
          msg.textContent = 'New link made; the old one no longer works. Download it above.';
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 401) msg.textContent = err.message;
        }
      }, { ariaLabel: `New link for ${who}` }),
      ' ',
      confirmButton('Revoke', 'Yes, revoke', async () => {
        clear(msg);
        try {
          await api('POST', `/surveys/${seg(slug)}/experts/${seg(e.id)}/revoke`, {});
          e.revoked = true;
          status.className = 'state state-revoked';
          status.textContent = 'revoked';
          msg.textContent = 'Revoked: the link no longer works; the answers stay.';
          drawActions();
          status.focus();
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 401) msg.textContent = err.message;
        }
      }, { ariaLabel: `Revoke ${who}`, dangerous: true }));
  };
  drawActions();
  const tr = h('tr', { 'data-id': e.id },
    h('th', { scope: 'row' }, h('span', { class: 'code' }, e.id)),
    h('td', null, e.name || '–', e.pseudonym ? h('span', { class: 'pseudo' }, e.pseudonym) : null),
    h('td', null, e.email || '–'),
    h('td', null, e.sector || '–'),
    h('td', null, (e.fields || []).join(', ')),
    h('td', null, roundCell(e)),
    h('td', null, status),
    h('td', null, acts, msg));
  tr.dataset.words = `${e.id} ${e.name || ''} ${e.email || ''} ${e.sector || ''} ${(e.fields || []).join(' ')} ${e.pseudonym || ''}`.toLowerCase();
  return tr;
}

export async function viewExperts(v, slug) {
  const [detail, data] = await Promise.all([surveyDetail(slug), api('GET', `/surveys/${seg(slug)}/experts`)]);
  const sv = detail.survey;
  const title = txt(sv.title, sv.languages) || slug;
  const linksBox = linksPanel(slug);
  const listBox = h('section', { 'aria-labelledby': 'list-h' });
  const search = h('input', { type: 'search', id: 'expert-search', autocomplete: 'off' });
  const shown = h('p', { class: 'hint', id: 'expert-count', 'aria-live': 'polite' });
  let tbl = null;

  const filter = () => {
    if (!tbl) return;
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let n = 0;
    for (const tr of tbl.table.tBodies[0].rows) {
      const hit = words.every((w) => tr.dataset.words.includes(w));
      tr.hidden = !hit;
      if (hit) n += 1;
    }
    shown.textContent = `${n} of ${tbl.table.tBodies[0].rows.length} experts shown.`;
  };
  const draw = (experts) => {
    const head = [h('h2', { id: 'list-h' }, 'The experts'),
      h('div', { class: 'search' }, h('label', { for: 'expert-search' }, 'Find experts (id, name, e-mail, sector, field)'), search), shown];
    if (!experts.length) {
      clear(listBox);
      add(listBox, h('h2', { id: 'list-h' }, 'The experts'), h('p', { class: 'hint' }, 'No experts yet: import a CSV file above.'));
      tbl = null;
      return;
    }
    tbl = table([{ label: 'ID' }, { label: 'Name and pseudonym' }, { label: 'E-mail' }, { label: 'Sector' }, { label: 'Fields' },
      { label: 'Invitation and response' }, { label: 'Link' }, { label: 'Actions' }],
    experts.map((e) => expertRow(v, slug, e, linksBox)), { caption: 'Experts', captionHidden: true, id: 'experts-table' });
    clear(listBox);
    add(listBox, ...head, tbl);
    filter();
  };
  search.addEventListener('input', filter);
  const reload = async () => {
    const again = await api('GET', `/surveys/${seg(slug)}/experts`);
    if (v.alive()) draw(again.experts || []);
  };
  draw(data.experts || []);
  v.title(`Experts – ${title}`);
  v.show(
    h('p', { class: 'crumb' }, h('a', { href: '#/surveys' }, 'Surveys'), ' › ', h('a', { href: `#/s/${encodeURIComponent(slug)}` }, title)),
    heading('Experts'),
    surveyNav(slug, 'experts'),
    linksBox,
    importPanel(v, slug, linksBox, reload),
    listBox,
  );
}
