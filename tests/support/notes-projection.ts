// A projection that applies nothing: what applied-position tests need is its name, categories and event types.
import type { Projection } from '../../projections/projection.js';

export const notesProjection: Projection = {
  name: 'notes',
  version: 1,
  categories: ['note'],
  handles: ['Noted'],
  tables: [],
  async apply() {},
};
