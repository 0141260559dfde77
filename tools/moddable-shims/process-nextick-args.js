// process-nextick-args (used by mqtt-packet's writeToStream) without its Node version sniffing.
import { process } from './process.js';

export const nextTick = process.nextTick;
export default { nextTick };
