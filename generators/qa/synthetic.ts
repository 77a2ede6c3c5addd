// Synthetic documents for qa/synthetic: short histories of fictional workshops (a family name and a
// trade, e.g. "Marsh Glassworks"), each stating six facts (founding year, founder, town, what it made,
// its workforce, the animal on its emblem) among colour sentences that state none. Every workshop
// in a sample has a distinct name, so a question about one document has one answer, which the
// generator knows; an omitted fact makes the answer-absent variant.
import type { Random } from '../core/random.js';
import { characterPool, locationPool } from '../story/pools.js';
import { withArticle } from '../story/fill.js';

export type WorkshopFact = 'founded' | 'founder' | 'town' | 'product' | 'workers' | 'emblem';
export const WORKSHOP_FACTS: readonly WorkshopFact[] = ['founded', 'founder', 'town', 'product', 'workers', 'emblem'];

export interface Workshop {
  name: string;
  trade: string;
  founded: string;
  founder: string;
  town: string;
  product: string;
  workers: string;
  emblem: string;
}

const TRADES: Record<string, readonly string[]> = {
  Glassworks: ['stained-glass windows', 'lamp chimneys', 'apothecary bottles', 'looking glasses'],
  Foundry: ['church bells', 'iron railings', 'cast-iron stoves', 'ship fittings'],
  Press: ['almanacs', 'county maps', 'hymn books', 'theatre posters'],
  Brewery: ['dark porter', 'pale ale', 'cider', 'barley wine'],
  Tannery: ['saddle leather', 'bookbinding leather', 'work boots', 'harness straps'],
  Pottery: ['blue-glazed jugs', 'roof tiles', 'stoneware crocks', 'garden urns'],
  Mill: ['rye flour', 'woollen blankets', 'linseed oil', 'paper pulp'],
  Shipyard: ['fishing smacks', 'river barges', 'pilot boats', 'rowing gigs'],
  Clockworks: ['tower clocks', 'pocket watches', 'ship chronometers', 'cuckoo clocks'],
  Weavers: ['tartan cloth', 'sailcloth', 'tapestries', 'silk ribbons'],
  Bindery: ['ledgers', 'prayer books', 'school primers', 'photograph albums'],
  Ropeworks: ['mooring ropes', 'fishing nets', 'bell ropes', 'rigging lines'],
  Cooperage: ['wine casks', 'herring barrels', 'water butts', 'butter churns'],
  Forge: ['garden tools', 'horseshoes', 'wrought-iron gates', 'kitchen knives'],
  Carriageworks: ['mail coaches', 'farm wagons', 'hansom cabs', 'delivery carts'],
  Candleworks: ['beeswax candles', 'tallow candles', 'church tapers', 'lantern wicks'],
};

const EMBLEMS: readonly string[] = [
  'heron', 'fox', 'badger', 'stag', 'hare', 'owl', 'raven', 'swan', 'otter', 'boar', 'falcon', 'bear', 'wolf', 'salmon',
  'kingfisher', 'lynx', 'eagle', 'pike', 'lark', 'bull', 'ram', 'cockerel', 'dolphin', 'tortoise', 'beaver', 'magpie',
  'crane', 'lion', 'goat', 'wren', 'stork', 'seal', 'hedgehog', 'pelican', 'peacock', 'squirrel',
];

const FACT_SENTENCES: Record<WorkshopFact, readonly string[]> = {
  founded: ['{name} was founded in {value}.', 'The first workshop of {name} opened its doors in {value}.', 'Records show that {name} began trading in {value}.', 'It was in {value} that {name} was established.'],
  founder: ['The business was started by {value}.', '{name} was founded by {value}, who ran it for many years.', 'Its founder, {value}, had been an apprentice in the same trade.', 'The person behind it all was {value}, remembered as stubborn and generous.'],
  town: ['{name} stood on the main street of {value}.', 'The workshop was based in {value}, close to the river.', 'For its whole history, {name} was located in {value}.', 'Everyone in {value} knew the building where {name} worked.'],
  product: ['{name} was best known for its {value}.', 'Above all, the workshop made {value}.', 'Its {value} were sold in every market of the region.', 'Buyers came from far away for the {value} made by {name}.'],
  workers: ['At its busiest, {name} employed {value} people.', 'In its best year the workshop had {value} workers on its books.', 'The payroll once listed {value} employees.', 'No fewer than {value} people worked for {name} at its peak.'],
  emblem: ['The emblem of {name} was {a_value}.', '{a_value} was painted above its door and stamped on everything it sold.', 'Its makers chose {a_value} as the emblem of the workshop.', 'Every crate bore the emblem of {a_value}.'],
};

const COLOUR: readonly string[] = [
  'Visitors often remarked on the noise and the heat inside the workshop.',
  '{name} survived two floods and a fire without closing for long.',
  'Apprentices at {name} started young and learned by watching.',
  'The building still stands, though it now serves a different purpose.',
  'Local newspapers wrote about the workshop more than once.',
  'Its account books, kept in a careful hand, survive in the county archive.',
  'Trade was slow in the winter months and busy before every festival.',
  'Several families worked there for three generations.',
  'The workshop was proud of never having missed a delivery.',
  'Rival workshops tried to copy its methods, with little success.',
  'Many of its customers paid in goods rather than coin.',
  'A small shop at the front sold seconds and offcuts cheaply.',
  'The owners lived above the workshop for most of its history.',
  'Its workers were known for their songs as much as their skill.',
  'During hard years the workshop kept going by taking repair work.',
  'Historians disagree about how profitable the business really was.',
  'An old photograph shows the whole workforce lined up in the yard.',
  'The workshop closed for a week every summer so that everyone could rest.',
  'Travelers sometimes asked to watch the craftsmen at work.',
  'Some of its products can still be found in local museums.',
];

/** The question that asks for a fact of a workshop. */
export const FACT_QUESTIONS: Record<WorkshopFact, (name: string) => string> = {
  founded: (n) => `In what year was ${n} founded?`,
  founder: (n) => `Who founded ${n}?`,
  town: (n) => `In which town was ${n} located?`,
  product: (n) => `What was ${n} best known for making?`,
  workers: (n) => `How many people did ${n} employ at its busiest?`,
  emblem: (n) => `Which animal was the emblem of ${n}?`,
};

/** Makes workshops with names unique within one sample. */
export class WorkshopFactory {
  private readonly names = new Set<string>();
  private readonly families: readonly string[];

  constructor(private readonly rng: Random) {
    // Family names: the place pool's towns are family name + suffix; use the people pool instead.
    this.families = characterPool();
  }

  /** A new workshop with all facts drawn at random. */
  next(): Workshop {
    const rng = this.rng;
    for (;;) {
      const trade = rng.pick(Object.keys(TRADES));
      const family = rng.pick(this.families);
      const name = `${family} ${trade}`;
      if (this.names.has(name)) continue;
      this.names.add(name);
      return {
        name,
        trade,
        founded: String(rng.int(1702, 1948)),
        founder: `${rng.pick(characterPool())} ${family}`,
        town: rng.pick(locationPool()),
        product: rng.pick(TRADES[trade] as readonly string[]),
        workers: String(rng.int(12, 480)),
        emblem: rng.pick(EMBLEMS),
      };
    }
  }

  /** A random value of one fact, for multiple-choice options. */
  randomValue(fact: WorkshopFact, like: Workshop): string {
    const w = this.nextValues(like);
    return w[fact];
  }

  private nextValues(like: Workshop): Workshop {
    const rng = this.rng;
    return {
      ...like,
      founded: String(rng.int(1702, 1948)),
      founder: `${rng.pick(characterPool())} ${like.founder.split(' ').pop() ?? ''}`,
      town: rng.pick(locationPool()),
      product: rng.pick(TRADES[like.trade] ?? ['goods']),
      workers: String(rng.int(12, 480)),
      emblem: rng.pick(EMBLEMS),
    };
  }
}

/**
 * The text of a workshop's document: its facts in random order (an omitted one left out) with
 * `colour` colour sentences between them, in two or three paragraphs.
 * @example workshopDocument(workshop, rng, { colour: 6 })
 */
export function workshopDocument(w: Workshop, rng: Random, options: { colour: number; omit?: WorkshopFact }): string {
  const sentences: string[] = [`${w.name} was a family business with a long history.`];
  const facts = rng.shuffle(WORKSHOP_FACTS.filter((f) => f !== options.omit));
  const colour = rng.sample(COLOUR, Math.min(options.colour, COLOUR.length));
  const body = rng.shuffle([...facts.map((f) => ({ fact: f as WorkshopFact | null, template: rng.pick(FACT_SENTENCES[f]) })), ...colour.map((c) => ({ fact: null as WorkshopFact | null, template: c }))]);
  for (const { fact, template } of body) {
    const value = fact ? w[fact] : '';
    const text = template.replaceAll('{name}', w.name).replaceAll('{a_value}', withArticle(value)).replaceAll('{value}', value);
    sentences.push(text.charAt(0).toUpperCase() + text.slice(1));
  }
  const cut = Math.ceil(sentences.length / 2);
  return `${sentences.slice(0, cut).join(' ')}\n${sentences.slice(cut).join(' ')}`;
}
