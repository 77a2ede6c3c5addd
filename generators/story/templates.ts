// Sentence templates of the narrative, by slot. Placeholders: {p} protagonist, {location},
// {character}, {event}, {a_item} / {the_item} (the item with its article), {other_location} and
// {other_character} (names from elsewhere in the story, used only when cross-mentions are on).
// The sentences that state a chapter's facts (arrival, encounter, purchase, sale) name the fact
// exactly once and nothing else that could be mistaken for it; every other slot is colour that
// never names another place, person or item unless asked to. Every template ends with a period
// (or a closing quote after one), which keeps token counts additive between sentences.
//
// What a careful reader could otherwise read two ways is kept out: no sentence outside the purchase
// presupposes a purchase ("In return", "Take care of it"), since purchases are removed afterwards;
// nothing the protagonist receives besides the purchase is an object ("a purse of silver"); no
// template word is a name of the pools (pools.ts drops such names); event sentences say only what
// fits the event (an omen, a spectacle, trouble); a character met before is greeted as one; the
// protagonist deals with no unnamed person (an innkeeper), who could pass for the chapter's character.
import type { EventKind } from './pools.js';

/** The slots of a chapter, in the order they are told. */
export type Slot =
  | 'arrival'
  | 'reason'
  | 'event'
  | 'atmosphere'
  | 'encounter'
  | 'greeting'
  | 'conversation'
  | 'purchase'
  | 'sale'
  | 'farewell'
  | 'conclusion';

export const ARRIVAL: readonly string[] = [
  'The sun was low as {p} arrived at {location}, the air filled with distant voices.',
  'At dawn, {p} reached the gates of {location}, where merchants and travelers converged.',
  'As evening fell, {p} entered {location}, its quiet streets hiding subtle mysteries.',
  '{p} approached {location} under a pale sky, alert to every whisper.',
  'With steady steps, {p} crossed into {location}, drawn by distant murmurs.',
  'Under fading daylight, {p} set foot in {location}, eager to learn what it offered.',
  '{p} came upon {location}, where old walls and new faces stood in delicate balance.',
  'Beneath a gentle breeze, {p} ventured into {location}, curious about its secrets.',
  'The road ended at {location}, and {p} walked in with dust on their boots.',
  'After three days on the road, {p} finally arrived in {location}.',
  'A cart carried {p} the last few miles to {location} just before noon.',
  'Rain was falling when {p} reached {location} and looked for shelter.',
  '{p} sailed into the harbor of {location} on the morning tide.',
  'The bells of {location} were ringing as {p} walked through its gates.',
  'It was market day when {p} arrived in {location}.',
  '{p} reached {location} late at night and slept at the first inn they found.',
  'Following the river north, {p} came at last to {location}.',
  'The next stop on the journey was {location}, which {p} reached by midday.',
  '{p} rode into {location} on a tired mule, hopeful all the same.',
  'Through a thin morning fog, {p} made out the rooftops of {location}.',
  'The traveler {p} arrived in {location} with a light pack and a long list of questions.',
  '{p} spent the afternoon walking the crowded lanes of {location}.',
  'A ferry brought {p} across the water to {location}.',
  'By the time {p} reached {location}, the lamps were already being lit.',
];

export const REASON: readonly string[] = [
  '{p} came here hoping to learn something new, or perhaps gain an advantage.',
  'This place might hold a clue {p} had long sought.',
  'Weary from past travels, {p} searched {location} for insight or respite.',
  '{p} believed that {location} hid useful knowledge beneath its calm facade.',
  'Rumors had guided {p} here, hinting at treasures of wisdom or wealth.',
  'Long journeys had led {p} to {location}, a step closer to understanding.',
  '{p} trusted that {location} might provide the missing piece of a larger puzzle.',
  'A quiet determination had brought {p} to {location}.',
  'Instinct told {p} that {location} would reveal something of value.',
  'An old letter had mentioned {location}, and {p} wanted to see it for themselves.',
  '{p} had heard that the traders of {location} kept the finest goods in the region.',
  'A promise made long ago had drawn {p} to {location}.',
  '{p} hoped that a few days in {location} would clear their head.',
  'Curiosity, more than any plan, had led {p} here.',
  'The journey had been long, and {p} meant to rest before going on.',
  '{p} was looking for a rare object, and {location} seemed a good place to start.',
  '{p} had heard that fortunes were made and lost in {location}.',
  'There were debts to settle and stories to gather, and {p} intended to do both.',
  '{p} wanted to trade, to listen, and to leave with something worth keeping.',
  'Few travelers came this way, which was exactly why {p} had chosen it.',
];

/** An event sentence, and the kinds of event it fits (any event when `needs` is absent). */
export interface EventTemplate {
  template: string;
  needs?: readonly EventKind[];
}

export const EVENT: readonly EventTemplate[] = [
  { template: 'Not long after {p} arrived, {event} shook the local order.', needs: ['trouble', 'politics'] },
  { template: "Soon enough, {event} seized everyone's attention." },
  { template: 'Within hours, {event} disrupted the familiar routines.', needs: ['trouble'] },
  { template: 'It was not long before {event} set the stage for new tensions.', needs: ['trouble', 'politics'] },
  { template: 'Before {p} could settle, {event} altered the mood of the streets.' },
  { template: 'That week, {event} became the talk of every corner.' },
  { template: 'Hardly had {p} arrived before {event} stirred uneasy whispers.', needs: ['trouble', 'omen', 'politics'] },
  { template: 'Everyone was speaking of {event}, and {p} listened closely.' },
  { template: 'The town was still recovering from {event}.', needs: ['trouble'] },
  { template: 'People gathered in the squares to discuss {event}.' },
  { template: 'A notice on the inn door warned travelers about {event}.', needs: ['trouble'] },
  { template: 'By evening, {event} had changed the plans of half the town.' },
  { template: 'News of {event} spread from one tavern to the next.' },
  { template: '{p} arrived just in time to witness {event}.', needs: ['spectacle'] },
  { template: 'Nobody could remember a season without {event}, yet this one felt different.', needs: ['seasonal'] },
  { template: 'Children ran through the lanes shouting about {event}.' },
  { template: 'The merchants blamed their poor trade on {event}.', needs: ['trouble'] },
  { template: 'Even the guards seemed distracted by {event}.' },
  { template: 'The local priests said that {event} was an omen.', needs: ['omen'] },
  { template: 'Late that night, {event} kept most of the town awake.', needs: ['loud'] },
];

/**
 * Colour sentences with no names: the story's filler and the units that close its exact length.
 * Their lengths range from a few tokens to over twenty.
 */
export const ATMOSPHERE: readonly string[] = [
  'Bells rang somewhere.',
  'A dog barked.',
  'The wind rose.',
  'Rain threatened.',
  'Smoke drifted past.',
  'The evening was cool.',
  'Gulls cried overhead.',
  'A door slammed shut nearby.',
  'The streets smelled of bread.',
  'Somebody was singing off key.',
  'Shadows stretched long, hinting at stories yet to unfold.',
  'The distant hum of voices hinted at unseen deals.',
  'Old stones bore silent witness to countless secrets.',
  'A subtle tension lingered, as though fate held its breath.',
  'In quiet corners, ambitions simmered, waiting for a spark.',
  'The taste of mystery clung to the air, thick and potent.',
  'Lingering dusk brought gentle uncertainty to weary minds.',
  'Carts rattled over the cobbles, loaded with sacks of grain.',
  'Washing hung between the houses, snapping in the breeze.',
  'The smell of roasting chestnuts drifted from a corner stall.',
  'Pigeons scattered as a group of children raced across the square.',
  'A fiddler played a slow tune for a handful of coins.',
  'Lanterns swayed above the doorways of the crowded inns.',
  'The river ran brown and fast beneath the old stone bridge.',
  'High clouds moved slowly across a pale blue sky.',
  'An old woman swept the steps of a chapel, humming to herself.',
  'Somewhere a blacksmith was hammering, steady as a heartbeat.',
  'The scent of salt and tar hung over the waterfront.',
  'Market criers competed to be heard over the noise of the crowd.',
  'The afternoon heat pressed down on the narrow lanes until even the cats sought the shade.',
  'A procession of mules plodded past, their bells clinking with every step they took.',
  'Beyond the rooftops, the hills turned gold and then grey as the light slowly faded.',
  'The town seemed to hold its breath, as if waiting for something it could not name.',
  'Every window glowed with candlelight, and the smell of supper filled the cold evening air.',
  'Merchants packed their wares into wooden crates while their apprentices argued over the last sale.',
  'The fountain in the square had long since run dry, but people still gathered around it to talk.',
  'A sudden gust sent dry leaves spinning along the gutters and under the doors of the shops.',
  'Far off, thunder rolled over the mountains, though the sky above the town stayed clear.',
  'The night watch began its rounds, calling out the hour in slow and solemn voices.',
  'Fishermen mended their nets on the quay, trading jokes that were older than any of them.',
];

/**
 * A sentence for a chapter's meeting or greeting. `first` fits only a character the protagonist
 * has not met before in the story, `again` only one met in an earlier chapter; untagged ones fit both.
 */
export interface MeetingTemplate {
  template: string;
  meeting?: 'first' | 'again';
}

export const ENCOUNTER: readonly MeetingTemplate[] = [
  { template: 'There, {p} encountered {character}, who seemed eager to exchange words or goods.' },
  { template: 'In a quiet courtyard, {p} met {character}, a figure with subtle ambitions.', meeting: 'first' },
  { template: '{character} approached {p}, eyes bright with opportunity.' },
  { template: 'As {p} ventured further in, {character} stepped forward with measured courtesy.' },
  { template: 'It was {character} who stepped forward, offering guidance or perhaps misdirection.' },
  { template: '{character} emerged from the crowd, greeting {p} with a knowing smile.' },
  { template: '{p} found {character} waiting by the well, as if expecting a visitor.' },
  { template: 'Among the gathered faces, {character} beckoned {p} closer.' },
  { template: 'At a crowded stall, {p} struck up a conversation with {character}.' },
  { template: 'A trader named {character} called out to {p} from behind a table of wares.', meeting: 'first' },
  { template: 'At the inn, {p} was introduced to {character}.', meeting: 'first' },
  { template: 'Near the fountain, {p} met a merchant called {character}.', meeting: 'first' },
  { template: 'The person {p} had come to see was {character}, who ran a small shop by the gate.', meeting: 'first' },
  { template: '{character} noticed {p} admiring the goods and came over at once.' },
  { template: 'In the shade of an awning, {p} sat down beside {character}.' },
  { template: '{p} knocked on a green door, and {character} opened it.', meeting: 'first' },
  { template: 'A collector named {character} invited {p} into a cluttered back room.', meeting: 'first' },
  { template: 'Down by the docks, {p} met {character}, who was unloading crates.' },
  { template: 'It did not take long for {p} to find {character}, whose name everyone seemed to know.' },
  { template: '{character}, a dealer in curiosities, waved {p} over.', meeting: 'first' },
  { template: 'Over a cup of tea, {p} got to know {character}.', meeting: 'first' },
  { template: 'While asking for directions, {p} was helped by {character}.' },
  { template: '{p} recognized {character} from the descriptions travelers had given.', meeting: 'first' },
  { template: 'At the edge of the market, {p} came across {character}.' },
  { template: 'To the surprise of {p}, {character} had also come to {location}.', meeting: 'again' },
  { template: 'Among the crowd, {p} spotted {character}, met on an earlier stop of the journey.', meeting: 'again' },
  { template: '{character}, an acquaintance from earlier travels, hailed {p} from across the street.', meeting: 'again' },
  { template: 'By chance, {p} ran into {character} once more.', meeting: 'again' },
  { template: 'An old acquaintance was waiting by the well: {character}, looking pleased with the world.', meeting: 'again' },
  { template: '{p} was glad to find {character} there, a familiar face among strangers.', meeting: 'again' },
];

export const GREETING: readonly MeetingTemplate[] = [
  { template: '"Welcome, traveler," said {character}. "What brings you to {location}?"', meeting: 'first' },
  { template: '"You look as if you have walked a long way," {character} said warmly.' },
  { template: '"Good day to you," {character} said, bowing slightly.' },
  { template: '"I was hoping someone like you would come by," said {character}.', meeting: 'first' },
  { template: '"Sit, sit," {character} insisted. "Visitors are rare these days."' },
  { template: '"Ah, a new face," said {character}. "We do not get many of those."', meeting: 'first' },
  { template: '"Well met," said {p}, and {character} returned the greeting.' },
  { template: '"Greetings," said {p}. "I am told you are the one to talk to."', meeting: 'first' },
  { template: '{character} greeted {p} with a firm handshake.' },
  { template: '{p} greeted {character} politely and introduced themselves.', meeting: 'first' },
  { template: '"Peace be with you," said {character}, offering a seat.' },
  { template: '"You are welcome here," {character} said, "as long as you pay in honest coin."', meeting: 'first' },
  { template: '"Come in out of the sun," said {character}.' },
  { template: '"I have been expecting you," said {character}, though {p} could not imagine how.', meeting: 'first' },
  { template: '{character} nodded a greeting and cleared a space on the bench.' },
  { template: '"What can I do for you?" asked {character}.' },
  { template: '"Another traveler," said {character}. "Tell me where you have been."', meeting: 'first' },
  { template: '"Hello," said {p}, and {character} smiled in reply.' },
  { template: '"Take your time," {character} said. "Nothing here is in a hurry."' },
  { template: '"Mind the step," said {character}, leading {p} inside.' },
  { template: '"We meet again," said {character} with a grin.', meeting: 'again' },
  { template: '"I hoped our paths would cross again," said {character}.', meeting: 'again' },
  { template: '{character} greeted {p} like an old friend.', meeting: 'again' },
  { template: '"How have your travels been since we last met?" asked {character}.', meeting: 'again' },
  { template: '"Still on the road, I see," {character} said, laughing.', meeting: 'again' },
  { template: '"It is good to see you again," said {character}.', meeting: 'again' },
  { template: '{character} recognized {p} at once and waved.', meeting: 'again' },
  { template: '"Back among us, and looking well," said {character}.', meeting: 'again' },
];

export const CONVERSATION: readonly string[] = [
  'In hushed tones, they spoke of local customs and distant rumors.',
  'The two discussed the shifting fortunes of traders and travelers.',
  'A short exchange revealed uncharted corners of {location}, where secrets might dwell.',
  'They lingered over tales of old alliances and forgotten disputes.',
  'Together, they reflected on the nature of trust and deceit.',
  'They debated the meaning of recent events, each seeking patterns in the chaos.',
  'A brief conversation unveiled hints of rare opportunities just beyond reach.',
  'Quiet words passed between them about the larger puzzle forming in {location}.',
  'They considered old legends that might still echo in deserted alleys.',
  'They whispered about shifting alliances within {location}.',
  'They exchanged quiet observations about the invisible networks of the town.',
  'They compared notes on the traders who passed through {location}.',
  'Their talk turned to supply and demand, and how quickly fortunes could change.',
  'They recalled cryptic hints from travelers who had crossed distant borders.',
  'Carefully, they stepped around the topic of old feuds.',
  'They paused to consider the influence of distant rulers on {location}.',
  'They talked about the price of grain and the quality of this year\'s wine.',
  'The conversation wandered to the weather, the roads, and the state of the bridges.',
  'They agreed that the winters had grown harder over the years.',
  'For a while they argued, good-naturedly, about the best route through the mountains.',
  'They laughed about the misadventures of a clumsy apprentice.',
  'The talk turned to music, and which songs were popular in {location} that year.',
  'They spoke about family, and about the people they had left behind.',
  'They sat over a simple meal and spoke of nothing in particular.',
  'The two traded stories about storms at sea and narrow escapes.',
  'They discussed the new taxes and how they would hurt small traders.',
  'They wondered aloud whether the old ways would survive much longer.',
  'There was talk of a map that showed roads nobody had traveled in a century.',
  'They admired the craftsmanship of the goods laid out on the table.',
  'The conversation touched on the history of {location} and its founding families.',
  'They spoke about the guilds and the rules that governed every sale.',
  'They discussed how to tell a genuine antique from a clever forgery.',
  'For a time they simply sat in silence, watching the crowd go by.',
  'They agreed that patience was the most valuable thing a trader could own.',
  'The two compared the coins of different lands and their odd markings.',
  'They debated whether luck or skill mattered more in business.',
  'Talk turned to the festival season and the crowds it brought.',
  'They spoke of the harvest and whether the rains would come in time.',
  'They discussed the rumors of bandits on the eastern road.',
  'The two talked late into the afternoon about everything and nothing.',
];

/**
 * Conversation lines that mention another place or person of the story (cross-mentions). The
 * protagonist may meet that person only later, so no line implies the protagonist knows them.
 */
export const CROSS_MENTION: readonly string[] = [
  'They spoke about {other_location}, where prices were said to be even higher.',
  'The talk turned to {other_character}, a trader {character} had once worked with.',
  'They compared {location} with {other_location}, and neither could decide which was busier.',
  'There was a rumor that {other_character} had recently passed through on the way south.',
  'They wondered whether the roads to {other_location} were safe this season.',
  'Both of them had heard stories about the strange bargains of {other_character}.',
  'Someone had brought news from {other_location} about a failed harvest.',
  '{character} said that {other_character} drove the hardest bargains in the region.',
  'A letter from {other_location} lay on the table, still unopened.',
  '{character} told the story of the time {other_character} had lost a bet on a horse race.',
];

export const PURCHASE: readonly string[] = [
  'After careful negotiation, {p} acquired {the_item} from {character}.',
  'With measured consideration, {p} purchased {the_item} from {character}, examining it closely.',
  '{p} exchanged words and coin with {character} to secure {the_item}.',
  'Seeing value in the offer, {p} bought {the_item} from {character}.',
  '{the_item_cap} changed hands as {p} completed the purchase from {character}.',
  'Following subtle bargaining with {character}, {p} claimed ownership of {the_item}.',
  'The transaction concluded with {p} acquiring {the_item} from {character}.',
  'After reaching terms with {character}, {p} took possession of {the_item}.',
  '{character} sold {p} {a_item} for a fair price.',
  'In the end, {p} paid {character} for {a_item} and wrapped it carefully.',
  '{p} could not resist {a_item}, and {character} let it go for a handful of coins.',
  'For a modest sum, {p} bought {a_item} from {character}.',
  '{character} brought out {a_item}, and {p} purchased it without hesitation.',
  'After much haggling, {p} walked away with {a_item} bought from {character}.',
  '{p} handed over the agreed price and received {the_item} from {character}.',
  'The deal was struck: {p} bought {the_item} that {character} had been keeping aside.',
  '{p} acquired {a_item} from {character}, who seemed glad to part with it.',
  'Before leaving the table, {p} bought {a_item} from {character}.',
  '{character} named a price for {the_item}, and {p} agreed to buy it.',
  'It was {a_item} that caught the eye of {p}, who bought it from {character} at once.',
];

export const SALE: readonly string[] = [
  'With practiced ease, {p} sold {the_item} to {character}.',
  '{p} completed the sale of {the_item} to {character}.',
  'Through skilled negotiation, {p} sold {the_item} to {character}.',
  '{p} sold {the_item} to {character} at a fair value.',
  'On a whim, {p} sold {the_item} to {character} for a good price.',
  '{character} agreed to buy {the_item} from {p}.',
  'Needing coin, {p} sold {the_item} to {character}.',
  '{p} parted with {the_item}, selling it to {character}.',
  'Before leaving, {p} sold {the_item} to {character}, who admired it greatly.',
  '{character} paid {p} well for {the_item}.',
  'To lighten the pack, {p} sold {the_item} to {character}.',
  '{p} let {character} have {the_item} at a price they both thought fair.',
];

export const FAREWELL: readonly string[] = [
  '{p} bid {character} a measured farewell before continuing onward.',
  'With a final nod, {p} parted ways with {character}.',
  'In quiet understanding, {p} left {character}, their paths diverging.',
  '{p} offered a calm goodbye to {character} before departing.',
  '"Safe travels," said {character} as {p} turned to leave.',
  '"Until we meet again," {p} said to {character}.',
  '{p} and {character} exchanged polite goodbyes.',
  '"Come back when you have more to trade," {character} called after {p}.',
  '{p} thanked {character} for the conversation and stood up.',
  'They shook hands, and {p} left {character} to the evening crowd.',
  '"Farewell," said {character}. "Go carefully on the roads."',
  '{p} waved to {character} from the end of the lane.',
  '{character} walked {p} to the door and wished them luck.',
  'No more words were needed; {p} stepped away from {character}.',
  '"Look after yourself," {character} said, and {p} promised to.',
  'With a light gesture, {p} said goodbye to {character}.',
];

export const CONCLUSION: readonly string[] = [
  'Eventually, {p} moved on, carrying new impressions forward.',
  'As {p} prepared to depart, the path ahead remained uncertain but compelling.',
  'The chapter closed as {p} stepped away, leaving {location} to its own mysteries.',
  'With quiet resolve, {p} carried these moments onward into the unknown.',
  'As the day waned, {p} held new pieces of a grander puzzle.',
  'Departing, {p} carried fresh insights wrapped in lingering questions.',
  'Nothing would be the same as {p} left {location}, thoughts turning inward.',
  'In parting, {p} acknowledged that the journey still had far to run.',
  'That night {p} wrote a few lines in a journal and slept soundly.',
  'The next morning, {p} left {location} before the markets opened.',
  '{p} lingered a little longer, then set off again.',
  'By sunrise, {p} was already on the road once more.',
  '{p} looked back once at {location} and then walked on.',
  'The visit had been short, but {p} would remember it.',
  'There was still a long way to go, and {p} did not mean to waste the daylight.',
  '{p} counted their coins, shouldered the pack, and moved on.',
];

/** All slots with their template texts (for counting and tests). */
export const TEMPLATES: Record<Exclude<Slot, 'atmosphere'>, readonly string[]> = {
  arrival: ARRIVAL,
  reason: REASON,
  event: EVENT.map((e) => e.template),
  encounter: ENCOUNTER.map((e) => e.template),
  greeting: GREETING.map((g) => g.template),
  conversation: [...CONVERSATION, ...CROSS_MENTION],
  purchase: PURCHASE,
  sale: SALE,
  farewell: FAREWELL,
  conclusion: CONCLUSION,
};

/**
 * Every word the templates and colour sentences use, lower case, placeholders excluded: no name
 * in the pools may be one of them.
 * @example templateWords().has('farewell') // true
 */
export function templateWords(): Set<string> {
  const words = new Set<string>();
  for (const text of [...Object.values(TEMPLATES).flat(), ...ATMOSPHERE]) {
    for (const word of text.replace(/\{[a-z_]+\}/g, ' ').toLowerCase().match(/[a-z]+/g) ?? []) words.add(word);
  }
  return words;
}
