// The narrative world's vocabularies: characters and places from faker's English data (thousands of
// each, filtered to plain single names and de-duplicated so that no name is both a person and a
// place), events, and the three item pools whose product (adjective x material x object) gives
// ~100,000 distinct items, so a million-token story never repeats one.
import { en } from '@faker-js/faker';

const PLAIN_NAME = /^[A-Z][a-z]{2,10}$/;
const PLAIN_PLACE = /^[A-Z][a-z]{2,12}(?: [A-Z][a-z]{2,10})?$/;

/** Words the templates use that must never double as a name. */
const RESERVED = new Set(['Chapter', 'Market', 'Harbor', 'Harbour', 'Dawn', 'Summer', 'Winter', 'Spring', 'Autumn', 'Story', 'Arion']);

let cached: { characters: string[]; locations: string[] } | null = null;

function build(): { characters: string[]; locations: string[] } {
  const person = en.person as { first_name?: unknown; last_name?: unknown } | undefined;
  const place = en.location as { city_name?: unknown; city_suffix?: unknown } | undefined;
  const first = (person?.first_name ?? {}) as { generic?: string[]; female?: string[]; male?: string[] };
  const lastRaw = (person?.last_name ?? []) as { generic?: string[] } | string[];
  const last = Array.isArray(lastRaw) ? lastRaw : (lastRaw.generic ?? []);
  const firstNames = [...new Set([...(first.generic ?? []), ...(first.female ?? []), ...(first.male ?? [])])].filter((n) => PLAIN_NAME.test(n) && !RESERVED.has(n));
  const firstSet = new Set(firstNames);
  const lastSet = new Set(last);
  const cities = ((place?.city_name ?? []) as string[]).filter((c) => PLAIN_PLACE.test(c) && !c.split(' ').some((w) => firstSet.has(w) || lastSet.has(w) || RESERVED.has(w)));
  // Towns named like the ones faker's city patterns make: a family name and a suffix.
  const suffixes = ((place?.city_suffix ?? []) as string[]).filter((s) => /^[a-z]{3,8}$/.test(s));
  const towns: string[] = [];
  for (const name of last) {
    if (!/^[A-Z][a-z]{3,8}$/.test(name)) continue;
    for (const suffix of suffixes) towns.push(`${name}${suffix}`);
  }
  const locationSet = new Set([...cities, ...towns]);
  const characters = firstNames.filter((n) => !locationSet.has(n)).sort();
  const locations = [...locationSet].filter((l) => !firstSet.has(l)).sort();
  return { characters, locations };
}

/** ~3,000 first names, sorted, none of which is also a location. */
export function characterPool(): readonly string[] {
  cached ??= build();
  return cached.characters;
}

/** ~10,000 place names (faker's cities and family-name towns), sorted, none of which is also a character. */
export function locationPool(): readonly string[] {
  cached ??= build();
  return cached.locations;
}

/** Events that happen in a chapter's location, each with its article. */
export const EVENTS: readonly string[] = [
  'a grand festival', 'a violent storm', 'a secret treaty', 'an unexpected betrayal', 'a tense negotiation',
  'a mysterious disappearance', 'a lavish wedding feast', 'a solemn religious ceremony', 'a dangerous ambush',
  'a sudden market crash', 'a surprising alliance', 'an urgent council meeting', 'a whispered rumor spreading',
  'a quiet funeral procession', 'a midnight duel', 'a rare eclipse', 'a harvest fair', 'a flood along the river',
  'a fire in the lower town', 'a horse race through the streets', 'the arrival of a royal envoy', 'a strike of the dockworkers',
  'a debate in the public square', 'a chess tournament', 'a night of fireworks', 'a procession of pilgrims',
  'an outbreak of fever', 'a bitter frost', 'the opening of a new bridge', 'a famous singer\'s performance',
  'a trial before the magistrates', 'a shortage of bread', 'the return of a lost ship', 'an auction of old estates',
  'a meeting of rival guilds', 'a travelling circus', 'a sudden earthquake', 'a wrestling contest', 'a lantern parade',
  'the collapse of an old tower', 'a masked ball', 'a fishing competition', 'a gathering of scholars', 'a sheep market',
];

/** Item adjectives (48). */
export const ITEM_ADJECTIVES: readonly string[] = [
  'ancient', 'ornate', 'engraved', 'weathered', 'gilded', 'polished', 'carved', 'etched', 'tarnished', 'gleaming',
  'battered', 'slender', 'heavy', 'tiny', 'painted', 'jeweled', 'hammered', 'twisted', 'faded', 'glazed',
  'lacquered', 'dented', 'chipped', 'braided', 'hollow', 'spotless', 'dusty', 'smoky', 'worn', 'curved',
  'fluted', 'studded', 'inlaid', 'burnished', 'rustic', 'elegant', 'humble', 'quaint', 'sturdy', 'delicate',
  'peculiar', 'ceremonial', 'intricate', 'pristine', 'scratched', 'enamelled', 'oversized', 'miniature',
];

/** Item materials (32). */
export const ITEM_MATERIALS: readonly string[] = [
  'bronze', 'silver', 'gold', 'ivory', 'jade', 'crystal', 'obsidian', 'copper', 'marble', 'amber', 'porcelain',
  'pewter', 'brass', 'oak', 'walnut', 'ebony', 'cedar', 'bone', 'glass', 'iron', 'tin', 'horn', 'leather',
  'silk', 'linen', 'slate', 'granite', 'coral', 'pearl', 'onyx', 'clay', 'wicker',
];

/** Item objects (64), all single words. */
export const ITEM_OBJECTS: readonly string[] = [
  'amulet', 'figurine', 'goblet', 'necklace', 'ring', 'statuette', 'pendant', 'candlestick', 'comb', 'seal',
  'chalice', 'key', 'bracelet', 'mask', 'lamp', 'vase', 'compass', 'hourglass', 'spyglass', 'flute', 'lute',
  'inkwell', 'quill', 'lantern', 'teapot', 'bowl', 'mirror', 'brooch', 'thimble', 'dagger', 'shield', 'helmet',
  'locket', 'sextant', 'bell', 'whistle', 'kettle', 'box', 'casket', 'tray', 'pitcher', 'spoon', 'ladle',
  'hairpin', 'buckle', 'coin', 'medallion', 'tiara', 'crown', 'scepter', 'rattle', 'abacus', 'sundial', 'ewer',
  'urn', 'jar', 'flask', 'cup', 'plate', 'fan', 'cane', 'pipe', 'harp', 'drum',
];

/** Number of distinct items the pools can make. */
export const ITEM_COMBINATIONS = ITEM_ADJECTIVES.length * ITEM_MATERIALS.length * ITEM_OBJECTS.length;
