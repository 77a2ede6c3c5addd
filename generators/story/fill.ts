// Template filling for the narrative. Templates are split once into literal and placeholder parts,
// so filling is a join over a handful of strings (a million-token story fills ~80,000 of them).

/** The values a template may use. */
export interface TemplateVars {
  p: string;
  location: string;
  character: string;
  event?: string;
  item?: string;
  otherLocation?: string;
  otherCharacter?: string;
}

type Part = string | { slot: string };
const compiled = new Map<string, Part[]>();

function compile(template: string): Part[] {
  let parts = compiled.get(template);
  if (!parts) {
    parts = template.split(/(\{[a-z_]+\})/).filter(Boolean).map((part) => (/^\{[a-z_]+\}$/.test(part) ? { slot: part.slice(1, -1) } : part));
    compiled.set(template, parts);
  }
  return parts;
}

/**
 * The item with its indefinite article.
 * @example withArticle('ornate jade ring') // 'an ornate jade ring'
 */
export function withArticle(item: string): string {
  return `${/^[aeiou]/.test(item) ? 'an' : 'a'} ${item}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function valueOf(slot: string, vars: TemplateVars): string {
  switch (slot) {
    case 'p':
      return vars.p;
    case 'location':
      return vars.location;
    case 'character':
      return vars.character;
    case 'event':
      return vars.event ?? '';
    case 'a_item':
      return withArticle(vars.item ?? '');
    case 'the_item':
      return `the ${vars.item ?? ''}`;
    case 'the_item_cap':
      return `The ${vars.item ?? ''}`;
    case 'other_location':
      return vars.otherLocation ?? vars.location;
    case 'other_character':
      return vars.otherCharacter ?? vars.character;
    default:
      throw new Error(`Unknown template placeholder {${slot}}.`);
  }
}

/**
 * Fills one template; a sentence that starts with a placeholder is capitalised.
 * @throws Error on an unknown placeholder.
 * @example fillTemplate('{p} met {character}.', { p: 'Arion', location: 'Rome', character: 'Iris' }) // 'Arion met Iris.'
 */
export function fillTemplate(template: string, vars: TemplateVars): string {
  let out = '';
  for (const part of compile(template)) out += typeof part === 'string' ? part : valueOf(part.slot, vars);
  return capitalize(out);
}
