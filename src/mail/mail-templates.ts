import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TEMPLATE_NAMES = [
  'verify-email',
  'password-reset',
  'email-change',
  'email-change-notice',
  'password-changed',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export interface RenderedMail {
  subject: string;
  text: string;
  html: string | null;
}

interface Template {
  subject: string;
  text: string;
  html: string | null;
}

/** Next to this file in src/ and, copied by nest-cli's `assets`, in dist/. */
const TEMPLATE_DIR = join(__dirname, 'templates');

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

function fill(template: string, vars: Record<string, string>, escape: (v: string) => string) {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`mail template variable {{${name}}} has no value`);
    return escape(value);
  });
}

function load(name: TemplateName): Template {
  const raw = readFileSync(join(TEMPLATE_DIR, `${name}.txt`), 'utf8');
  const match = /^Subject: (.+)\r?\n\r?\n([\s\S]*)$/.exec(raw);
  if (!match)
    throw new Error(`mail template ${name}.txt must start with "Subject: ..." and a blank line`);
  const htmlPath = join(TEMPLATE_DIR, `${name}.html`);
  return {
    subject: match[1],
    text: match[2],
    html: existsSync(htmlPath) ? readFileSync(htmlPath, 'utf8') : null,
  };
}

/**
 * The mail templates (`templates/<name>.txt`, first line the subject; optional
 * `<name>.html`), read once. `{{name}}` placeholders are filled from `vars`; HTML-escaped in
 * the HTML part. Every mail has its plain-text part.
 */
export class MailTemplates {
  private readonly templates = new Map<TemplateName, Template>(
    TEMPLATE_NAMES.map((name) => [name, load(name)]),
  );

  render(name: TemplateName, vars: Record<string, string>): RenderedMail {
    const template = this.templates.get(name)!;
    return {
      subject: fill(template.subject, vars, (v) => v.replace(/[\r\n]+/g, ' ')),
      text: fill(template.text, vars, (v) => v),
      html: template.html ? fill(template.html, vars, escapeHtml) : null,
    };
  }
}
