/** A schema with a third object, the EHLO stage, for the tests that add one and see it everywhere. */
import { SCHEMA, type Schema } from '../../src/hosts/index.js';

export const WITH_EHLO_STAGE: Schema = {
  ...SCHEMA,
  MtaStageEhlo: {
    description: 'The EHLO stage: what is checked of the client greeting.',
    location: 'Settings › MTA › Session › EHLO Stage',
    singleton: true,
    fields: {
      rejectNonFqdn: {
        type: 'boolean',
        description: 'Reject EHLO names that are not fully qualified.',
        variables: 'MtaEhloVariable',
        constants: null,
        default: { match: [], else: "protocol == 'smtp'" },
        fallback: false,
      },
      timeout: {
        type: 'duration',
        description: 'How long to wait for EHLO.',
        variables: 'MtaEhloVariable',
        constants: null,
        default: { match: [], else: '5m' },
        fallback: 300_000,
      },
    },
  },
};
