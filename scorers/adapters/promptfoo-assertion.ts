// The promptfoo assertion as a default export, for `{ type: 'javascript', value: 'file://...' }`.
import { promptfooAssertion } from './promptfoo.js';

export default promptfooAssertion;
