// Offline English prose: the haystack where RULER used essays. Paragraphs are about one topic at
// a time and are built from sentence templates (dozens of shapes, with agreement handled by the
// templates themselves) filled from topic vocabularies and faker's people and places. Nothing is
// fetched; the same Random gives the same text everywhere.
import { Faker, en } from '@faker-js/faker';
import type { Random } from './random.js';

interface Topic {
  /** What the topic is called in running text ("gardening"). */
  field: string;
  /** People who practise it, plural ("gardeners"). */
  actors: string[];
  /** Singular things of the field ("trellis"). */
  things: string[];
  /** Gerund phrases ("pruning old roses"). */
  activities: string[];
  /** Adjectives that fit the field. */
  qualities: string[];
  /** Places where it happens ("in the greenhouse"). */
  places: string[];
}

const TOPICS: Topic[] = [
  {
    field: 'gardening',
    actors: ['gardeners', 'growers', 'allotment holders', 'seed savers'],
    things: ['trellis', 'compost heap', 'seed tray', 'rose bed', 'pruning knife', 'rain barrel'],
    activities: ['pruning old roses', 'turning the compost', 'saving seeds from the best plants', 'planting bulbs before the frost', 'weeding between the rows'],
    qualities: ['patient', 'seasonal', 'muddy', 'generous', 'slow'],
    places: ['in the greenhouse', 'along the south wall', 'behind the cottage', 'on the allotment'],
  },
  {
    field: 'carpentry',
    actors: ['carpenters', 'joiners', 'furniture makers', 'apprentices'],
    things: ['dovetail joint', 'workbench', 'hand plane', 'oak table', 'chisel', 'mortise'],
    activities: ['sharpening chisels', 'planing rough boards', 'cutting joints by hand', 'oiling a finished chair', 'measuring twice before every cut'],
    qualities: ['precise', 'sturdy', 'honest', 'unhurried', 'careful'],
    places: ['in the workshop', 'at the bench by the window', 'in the timber yard', 'under the barn roof'],
  },
  {
    field: 'sailing',
    actors: ['sailors', 'harbour pilots', 'deckhands', 'navigators'],
    things: ['mainsail', 'tiller', 'mooring line', 'chart table', 'compass', 'anchor chain'],
    activities: ['reading the wind on the water', 'reefing the sails at dusk', 'plotting a course by hand', 'mending torn canvas', 'waiting out a storm in port'],
    qualities: ['salty', 'restless', 'weathered', 'steady', 'watchful'],
    places: ['in the harbour', 'off the northern cape', 'along the estuary', 'at the end of the pier'],
  },
  {
    field: 'baking',
    actors: ['bakers', 'pastry cooks', 'home cooks', 'millers'],
    things: ['sourdough starter', 'bread oven', 'proving basket', 'rolling pin', 'copper bowl', 'loaf tin'],
    activities: ['kneading dough before dawn', 'feeding the starter', 'shaping loaves by feel', 'watching the crust darken', 'weighing flour to the gram'],
    qualities: ['warm', 'fragrant', 'forgiving', 'exacting', 'golden'],
    places: ['in the bakery', 'beside the wood oven', 'at the village market', 'in the back kitchen'],
  },
  {
    field: 'astronomy',
    actors: ['astronomers', 'stargazers', 'observers', 'telescope makers'],
    things: ['telescope', 'star chart', 'eyepiece', 'observatory dome', 'logbook', 'lens'],
    activities: ['tracking a comet across the sky', 'grinding a mirror by hand', 'logging variable stars', 'waiting for the clouds to clear', 'mapping the craters of the moon'],
    qualities: ['dark', 'distant', 'cold', 'faint', 'vast'],
    places: ['on the hilltop', 'at the old observatory', 'far from the city lights', 'in the desert'],
  },
  {
    field: 'music',
    actors: ['musicians', 'composers', 'choir singers', 'piano tuners'],
    things: ['violin', 'metronome', 'score', 'upright piano', 'bow', 'tuning fork'],
    activities: ['practising scales every morning', 'tuning an old piano', 'rehearsing with a small ensemble', 'transcribing melodies by ear', 'playing for an empty hall'],
    qualities: ['quiet', 'resonant', 'delicate', 'lively', 'bright'],
    places: ['in the rehearsal room', 'at the village hall', 'in the conservatory', 'on the bandstand'],
  },
  {
    field: 'mapmaking',
    actors: ['mapmakers', 'surveyors', 'cartographers', 'explorers'],
    things: ['map', 'theodolite', 'field notebook', 'contour line', 'survey marker', 'atlas'],
    activities: ['walking the boundary of a parish', 'measuring angles from a ridge', 'redrawing an old coastline', 'naming the streams of a valley', 'checking distances against the stars'],
    qualities: ['careful', 'detailed', 'faded', 'ambitious', 'accurate'],
    places: ['in the drawing office', 'on the ridge above the valley', 'at the edge of the marsh', 'in the archive'],
  },
  {
    field: 'beekeeping',
    actors: ['beekeepers', 'honey farmers', 'naturalists', 'orchard keepers'],
    things: ['hive', 'smoker', 'honey frame', 'queen cell', 'veil', 'wax comb'],
    activities: ['inspecting the hives in spring', 'harvesting honey in late summer', 'calming a swarm', 'melting old wax', 'counting the frames of brood'],
    qualities: ['humming', 'sweet', 'busy', 'gentle', 'sunlit'],
    places: ['in the orchard', 'beside the lavender field', 'at the edge of the woods', 'on the rooftop'],
  },
  {
    field: 'bookbinding',
    actors: ['bookbinders', 'librarians', 'printers', 'collectors'],
    things: ['folio', 'bone folder', 'linen thread', 'leather spine', 'printing press', 'endpaper'],
    activities: ['sewing signatures together', 'repairing a cracked spine', 'setting type by hand', 'marbling paper', 'cataloguing forgotten volumes'],
    qualities: ['worn', 'elegant', 'fragile', 'durable', 'handsome'],
    places: ['in the bindery', 'in the reading room', 'at the back of the shop', 'in the cathedral library'],
  },
  {
    field: 'cycling',
    actors: ['cyclists', 'bicycle mechanics', 'couriers', 'touring riders'],
    things: ['steel frame', 'gear cable', 'saddle', 'spoke wrench', 'pannier', 'wheel'],
    activities: ['climbing a long mountain pass', 'truing a wheel', 'riding home in the rain', 'packing for a long tour', 'fixing a puncture by the roadside'],
    qualities: ['light', 'quick', 'tireless', 'muddy', 'reliable'],
    places: ['on the coast road', 'in the repair shop', 'over the high pass', 'through the river valley'],
  },
  {
    field: 'weaving',
    actors: ['weavers', 'dyers', 'spinners', 'tailors'],
    things: ['loom', 'spindle', 'shuttle', 'woollen blanket', 'dye pot', 'pattern book'],
    activities: ['warping a loom', 'dyeing wool with walnut husks', 'spinning yarn by the fire', 'mending a moth-eaten rug', 'choosing colours for a tapestry'],
    qualities: ['soft', 'intricate', 'colourful', 'warm', 'patient'],
    places: ['in the mill', 'at the cottage loom', 'in the dye house', 'at the autumn fair'],
  },
  {
    field: 'teaching',
    actors: ['teachers', 'tutors', 'students', 'headmasters'],
    things: ['blackboard', 'lesson plan', 'exercise book', 'school bell', 'reading list', 'classroom'],
    activities: ['explaining fractions for the third time', 'marking essays late at night', 'reading aloud to a restless class', 'planning a field trip', 'listening to a shy student'],
    qualities: ['curious', 'patient', 'demanding', 'encouraging', 'tired'],
    places: ['in the classroom', 'at the village school', 'in the staff room', 'on the playing field'],
  },
];

const TIME_SPANS = ['a whole winter', 'most of a summer', 'three long years', 'every weekend for a decade', 'the better part of a month', 'two quiet seasons'];
const TIMES_OF_DAY = ['morning', 'evening', 'afternoon', 'night'];
const OPENERS = ['Of course,', 'Still,', 'In practice,', 'Oddly enough,', 'For a long time,', 'Even so,', 'As it turns out,', 'Looking back,'];
const REASONS = ['it teaches patience', 'mistakes are cheap there', 'the work shows its own flaws', 'nobody is watching', 'the materials push back', 'it rewards attention'];

type Slots = {
  actors: string;
  actors2: string;
  thing: string;
  thing2: string;
  activity: string;
  activity2: string;
  quality: string;
  quality2: string;
  place: string;
  field: string;
  name: string;
  city: string;
  span: string;
  tod: string;
  opener: string;
  reason: string;
  count: string;
};

// Each template is a function of the slots, so agreement and articles are written out by hand.
const TEMPLATES: ((s: Slots) => string)[] = [
  (s) => `Most ${s.actors} learn more from ${s.activity} than from any book about ${s.field}.`,
  (s) => `When ${s.name} first moved to ${s.city}, the days went to ${s.activity} and the evenings to ${s.activity2}.`,
  (s) => `The trouble with a ${s.thing} is that it looks simple until you try to make one yourself.`,
  (s) => `It is easy to forget how ${s.quality} ${s.field} seemed to ${s.actors} a generation ago.`,
  (s) => `${s.name} once said that the best ${s.actors} are the ones who never stop ${s.activity}.`,
  (s) => `In ${s.city}, ${s.actors} still argue about whether ${s.activity} is worth the effort.`,
  (s) => `A good ${s.thing} rarely announces itself; it simply keeps working, year after year.`,
  (s) => `If you ask ${s.actors} what they value most, many will mention ${s.activity} before money.`,
  (s) => `There is a quiet pleasure in ${s.activity} on a ${s.quality} ${s.tod}.`,
  (s) => `Nobody plans to become an expert in ${s.field}; it happens one small problem at a time.`,
  (s) => `${s.opener} the ${s.actors} ${s.place} spent ${s.span} ${s.activity}.`,
  (s) => `The first ${s.thing} anyone makes is usually ${s.quality2}, and that is exactly how it should be.`,
  (s) => `What separates ${s.actors} from ${s.actors2} is less talent than the habit of ${s.activity}.`,
  (s) => `${s.opener} ${s.field} is mostly about ${s.activity}, because ${s.reason}.`,
  (s) => `People who take up ${s.field} late often say they wish they had started by ${s.activity}.`,
  (s) => `There were ${s.count} ${s.actors} ${s.place} that year, and each of them had an opinion about the ${s.thing}.`,
  (s) => `${s.name} kept a notebook about ${s.activity}, filled with sketches of every ${s.thing} in ${s.city}.`,
  (s) => `Ask an old hand about the ${s.thing} and you will hear a story, not a specification.`,
  (s) => `The ${s.quality} part of ${s.field} is not the finished work but the hours spent ${s.activity}.`,
  (s) => `${s.opener} the best advice for ${s.actors} is to start small and finish what they begin.`,
  (s) => `A ${s.thing} left ${s.place} for ${s.span} tells you more than any catalogue could.`,
  (s) => `Whenever the weather turned, the ${s.actors} ${s.place} went back to ${s.activity}.`,
  (s) => `Beginners tend to buy an expensive ${s.thing}, while experienced ${s.actors} keep using the one they have.`,
  (s) => `It took ${s.name} ${s.span} to see that ${s.activity} mattered more than ${s.activity2}.`,
  (s) => `In ${s.field}, as in most crafts, ${s.reason}.`,
  (s) => `Some ${s.actors} in ${s.city} still remember a ${s.quality} ${s.thing} that nobody has been able to copy.`,
  (s) => `The difference between a ${s.quality} ${s.thing} and a ${s.quality2} one is usually a few minutes of care.`,
  (s) => `Every ${s.tod}, ${s.name} walked to the same spot ${s.place} and started ${s.activity}.`,
  (s) => `${s.opener} nobody in ${s.city} could explain why ${s.field} became so popular that year.`,
  (s) => `A friend of ${s.name} believed that ${s.activity} was the only honest test of ${s.actors}.`,
  (s) => `The ${s.actors} who last longest are rarely the fastest; they are the most ${s.quality}.`,
  (s) => `Between ${s.activity} and ${s.activity2}, there was hardly time to notice the seasons change.`,
  (s) => `Visitors to ${s.city} are often surprised by how many ${s.actors} work ${s.place}.`,
  (s) => `One ${s.thing} can take ${s.span} to finish, and nobody who has made one complains about the wait.`,
  (s) => `It is tempting to think that ${s.field} is a solitary pursuit, but most ${s.actors} learned it from a neighbour.`,
  (s) => `${s.name} liked to say that a ${s.thing} should be ${s.quality} first and beautiful second.`,
  (s) => `${s.opener} the old methods of ${s.activity} have survived because ${s.reason}.`,
  (s) => `Few ${s.actors} agree on anything, but all of them agree that ${s.activity} cannot be rushed.`,
  (s) => `On a ${s.quality} ${s.tod} ${s.place}, even ${s.activity} felt like a small celebration.`,
  (s) => `The most useful lesson ${s.name} ever learned about ${s.field} came from a broken ${s.thing}.`,
  (s) => `Long before anyone wrote about ${s.field}, ${s.actors} were already ${s.activity}.`,
  (s) => `${s.opener} the ${s.thing} that ${s.name} made ${s.place} is still in use today.`,
];

const NUMBER_WORDS = ['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'eleven', 'twelve', 'twenty', 'forty'];

/** Generates sentences and paragraphs of plain English prose from a seeded stream. */
export class ProseGenerator {
  private readonly faker: Faker;
  private topic: Topic;
  private sentencesLeft = 0;

  /**
   * @param rng The seeded stream; faker draws from it too.
   * @example new ProseGenerator(new Random('demo')).sentence()
   */
  constructor(private readonly rng: Random) {
    this.faker = new Faker({ locale: [en], randomizer: rng });
    this.topic = rng.pick(TOPICS);
  }

  private slots(topic: Topic): Slots {
    const r = this.rng;
    const [activity, activity2] = r.sample(topic.activities, 2) as [string, string];
    const [thing, thing2] = r.sample(topic.things, 2) as [string, string];
    const [quality, quality2] = r.sample(topic.qualities, 2) as [string, string];
    const other = r.pick(TOPICS.filter((t) => t !== topic));
    return {
      actors: r.pick(topic.actors),
      actors2: r.pick(other.actors),
      thing,
      thing2,
      activity,
      activity2,
      quality,
      quality2,
      place: r.pick(topic.places),
      field: topic.field,
      name: this.faker.person.firstName(),
      city: this.faker.location.city(),
      span: r.pick(TIME_SPANS),
      tod: r.pick(TIMES_OF_DAY),
      opener: r.pick(OPENERS),
      reason: r.pick(REASONS),
      count: r.pick(NUMBER_WORDS),
    };
  }

  /** One sentence, no leading or trailing whitespace. Paragraph topics change every 4-8 sentences. */
  sentence(): string {
    if (this.sentencesLeft <= 0) {
      this.topic = this.rng.pick(TOPICS);
      this.sentencesLeft = this.rng.int(4, 8);
    }
    this.sentencesLeft--;
    // Templates write "a" before slots; "an" where the next word starts with a vowel.
    const text = this.rng.pick(TEMPLATES)(this.slots(this.topic)).replace(/\b([Aa]) (?=[aeiouAEIOU])/g, '$1n ');
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** True when the next sentence starts a new paragraph. */
  get atParagraphEnd(): boolean {
    return this.sentencesLeft <= 0;
  }

  /**
   * A block of prose of roughly `sentences` sentences with paragraph breaks.
   * @example new ProseGenerator(new Random('x')).text(5)
   */
  text(sentences: number): string {
    let out = '';
    for (let i = 0; i < sentences; i++) {
      const s = this.sentence();
      out += i === 0 ? s : ` ${s}`;
      if (this.atParagraphEnd && i < sentences - 1) out += '\n\n';
    }
    return out;
  }
}

/** The number of topics and templates, for docs and tests. */
export const PROSE_STATS = { topics: TOPICS.length, templates: TEMPLATES.length } as const;
