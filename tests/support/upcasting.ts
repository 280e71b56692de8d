// The upcasters of every hosted context, registered as the composition root registers them: for tests that wire a
// command handler, an enricher or a bus by hand.
import { Upcasting } from '../../application/eventstore/upcasting.js';
import { contexts } from '../../api/contexts.js';

export const upcasting = new Upcasting(contexts.flatMap((context) => context.upcasters));
