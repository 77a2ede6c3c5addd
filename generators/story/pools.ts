// The narrative world's vocabularies: characters and places from faker's English data, events, and
// the three item pools whose product (adjective x material x object) gives ~100,000 distinct items,
// so a million-token story never repeats one.
//
// Names are filtered so that each can be read one way only: a person's name is never also an
// ordinary English word ("Hope", "Price", "May"), a place anywhere in faker's data ("Paris",
// "Georgia"), an item word ("Jade", "Amber") or a word of the story's own templates; a place is
// never an ordinary word or phrase ("Normal", "Castle Rock"), never holds a person's name, an item
// word or another place ("North Miami" beside "Miami"). Faker's data is the source; the filters
// make the pools smaller, not different in kind.
import { allLocales, en } from '@faker-js/faker';
import { ordinaryWords } from '../core/dictionary.js';
import { templateWords } from './templates.js';

const PLAIN_NAME = /^[A-Z][a-z]{2,10}$/;
const PLAIN_PLACE = /^[A-Z][a-z]{2,12}(?: [A-Z][a-z]{2,10})?$/;

/** Words the prompts use that must never double as a name (the templates' own words are added). */
const RESERVED = new Set(['chapter', 'arion', 'protagonist', 'narrative', 'none']);

/** Entries of faker's first-name lists that are not names as written (a truncated "Christopher"). */
const MALFORMED_NAMES = new Set(['Christop']);

interface Pools {
  characters: string[];
  locations: string[];
}

let cached: Pools | null = null;

/** Every place name faker knows in any locale (cities, states, countries), and English counties and continents. */
function knownPlaces(): Set<string> {
  const places = new Set<string>();
  for (const [code, locale] of Object.entries(allLocales)) {
    const location = (locale as { location?: Record<string, unknown> }).location;
    if (!location) continue;
    const keys = code === 'en' || code.startsWith('en_') ? ['city_name', 'state', 'country', 'county', 'continent'] : ['city_name', 'state', 'country'];
    for (const key of keys) {
      const list = location[key];
      if (Array.isArray(list)) for (const name of list) if (typeof name === 'string') places.add(name);
    }
  }
  return places;
}

function itemWords(): Set<string> {
  return new Set([...ITEM_ADJECTIVES, ...ITEM_MATERIALS, ...ITEM_OBJECTS]);
}

function build(): Pools {
  const person = en.person as { first_name?: unknown; last_name?: unknown } | undefined;
  const place = en.location as { city_name?: unknown; city_suffix?: unknown } | undefined;
  const first = (person?.first_name ?? {}) as { generic?: string[]; female?: string[]; male?: string[] };
  const lastRaw = (person?.last_name ?? []) as { generic?: string[] } | string[];
  const last = Array.isArray(lastRaw) ? lastRaw : (lastRaw.generic ?? []);
  const items = itemWords();
  const reserved = new Set([...RESERVED, ...templateWords(), ...EVENTS.flatMap((e) => e.text.toLowerCase().match(/[a-z]+/g) ?? [])]);
  const places = knownPlaces();
  const dictionary = ordinaryWords();
  const isOrdinaryWord = (word: string): boolean => dictionary.has(word.toLowerCase());
  // A word no name may be: ordinary, an item word, or a word of the prompts and templates.
  const taken = (word: string): boolean => {
    const lower = word.toLowerCase();
    return reserved.has(lower) || items.has(lower) || isOrdinaryWord(lower);
  };

  const firstNames = [...new Set([...(first.generic ?? []), ...(first.female ?? []), ...(first.male ?? [])])].filter(
    (n) => PLAIN_NAME.test(n) && !MALFORMED_NAMES.has(n) && !taken(n),
  );
  const personWords = new Set([...firstNames, ...last]);

  // Places: faker's English cities, and towns named the way its city patterns name them (a family
  // name and a suffix: "Abernathycester").
  const cities = ((place?.city_name ?? []) as string[]).filter((c) => PLAIN_PLACE.test(c));
  const suffixes = ((place?.city_suffix ?? []) as string[]).filter((s) => /^[a-z]{3,8}$/.test(s));
  const towns: string[] = [];
  for (const name of last) {
    if (!/^[A-Z][a-z]{3,8}$/.test(name)) continue;
    for (const suffix of suffixes) towns.push(`${name}${suffix}`);
  }
  const candidates = [...new Set([...cities, ...towns])];
  const singleWordPlaces = new Set([...places, ...candidates].filter((p) => !p.includes(' ')));
  const locations = candidates.filter((name) => {
    const words = name.split(' ');
    if (words.some((w) => personWords.has(w) || items.has(w.toLowerCase()) || reserved.has(w.toLowerCase()))) return false;
    // Not an ordinary word or phrase ("Normal", "Sunrise Manor"): at least one word only a name.
    if (words.every((w) => isOrdinaryWord(w))) return false;
    // No place inside another ("North Miami" beside "Miami", "Kansas City" beside "Kansas").
    if (words.length > 1 && words.some((w) => singleWordPlaces.has(w))) return false;
    return true;
  });
  const locationSet = new Set(locations);
  const characters = firstNames.filter((n) => !locationSet.has(n) && !places.has(n));
  return { characters: characters.sort(), locations: locations.sort() };
}

/** ~2,800 first names, sorted: none is also a place, an ordinary word, an item word or a template word. */
export function characterPool(): readonly string[] {
  cached ??= build();
  return cached.characters;
}

/** ~10,000 place names (faker's cities and family-name towns), sorted: none holds a person's name, an ordinary word alone or another place. */
export function locationPool(): readonly string[] {
  cached ??= build();
  return cached.locations;
}

/**
 * What kind of happening an event is, so that an event sentence only says what fits it: a town
 * "still recovering from" trouble, an omen, a spectacle one can "witness", something loud enough
 * to keep a town awake, something that comes back every season, or political news.
 */
export type EventKind = 'trouble' | 'omen' | 'spectacle' | 'loud' | 'seasonal' | 'politics';

/** An event that happens in a chapter's location, with its article. */
export interface StoryEvent {
  text: string;
  kinds: readonly EventKind[];
}

/** Events that happen in a chapter's location. */
export const EVENTS: readonly StoryEvent[] = [
  { text: 'a grand festival', kinds: ['spectacle', 'loud', 'seasonal'] },
  { text: 'a violent storm', kinds: ['trouble', 'omen', 'loud'] },
  { text: 'a secret treaty', kinds: ['politics'] },
  { text: 'an unexpected betrayal', kinds: ['trouble', 'politics'] },
  { text: 'a tense negotiation', kinds: ['politics'] },
  { text: 'a mysterious disappearance', kinds: ['trouble'] },
  { text: 'a lavish wedding feast', kinds: ['spectacle', 'loud'] },
  { text: 'a solemn religious ceremony', kinds: ['spectacle'] },
  { text: 'a dangerous ambush', kinds: ['trouble'] },
  { text: 'a sudden market crash', kinds: ['trouble'] },
  { text: 'a surprising alliance', kinds: ['politics'] },
  { text: 'an urgent council meeting', kinds: ['politics'] },
  { text: 'a whispered rumor of war', kinds: ['trouble', 'politics'] },
  { text: 'a quiet funeral procession', kinds: ['spectacle'] },
  { text: 'a midnight duel', kinds: ['trouble', 'spectacle'] },
  { text: 'a rare eclipse', kinds: ['omen', 'spectacle'] },
  { text: 'a harvest fair', kinds: ['spectacle', 'seasonal'] },
  { text: 'a flood along the river', kinds: ['trouble', 'omen', 'seasonal'] },
  { text: 'a fire in the lower town', kinds: ['trouble', 'omen', 'loud', 'spectacle'] },
  { text: 'a horse race through the streets', kinds: ['spectacle', 'loud', 'seasonal'] },
  { text: 'the arrival of a royal envoy', kinds: ['spectacle', 'politics'] },
  { text: 'a strike of the dockworkers', kinds: ['trouble', 'politics'] },
  { text: 'a debate in the public square', kinds: ['spectacle', 'politics'] },
  { text: 'a chess tournament', kinds: ['seasonal'] },
  { text: 'a night of fireworks', kinds: ['spectacle', 'loud', 'seasonal'] },
  { text: 'a procession of pilgrims', kinds: ['spectacle', 'seasonal'] },
  { text: 'an outbreak of fever', kinds: ['trouble', 'omen'] },
  { text: 'a bitter frost', kinds: ['trouble', 'seasonal'] },
  { text: 'the opening of a new bridge', kinds: ['spectacle'] },
  { text: "a famous singer's performance", kinds: ['spectacle'] },
  { text: 'a trial before the magistrates', kinds: ['spectacle', 'politics'] },
  { text: 'a shortage of bread', kinds: ['trouble'] },
  { text: 'the return of a lost ship', kinds: ['omen', 'spectacle'] },
  { text: 'an auction of old estates', kinds: ['spectacle'] },
  { text: 'a meeting of rival guilds', kinds: ['politics'] },
  { text: 'a travelling circus', kinds: ['spectacle', 'loud', 'seasonal'] },
  { text: 'a sudden earthquake', kinds: ['trouble', 'omen', 'loud'] },
  { text: 'a wrestling contest', kinds: ['spectacle', 'seasonal'] },
  { text: 'a lantern parade', kinds: ['spectacle', 'seasonal'] },
  { text: 'the collapse of an old tower', kinds: ['trouble', 'omen', 'spectacle'] },
  { text: 'a masked ball', kinds: ['spectacle', 'loud'] },
  { text: 'a fishing competition', kinds: ['spectacle', 'seasonal'] },
  { text: 'a gathering of scholars', kinds: [] },
  { text: 'a great sheep market', kinds: ['seasonal'] },
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
