// Config keys every listening source (webhook, forward) shares: `listen` and `tls`.

import { schema } from '../util/schema-type.ts';

export const LISTEN_PATTERN = '^(\\[[^\\]]+\\]|[^:\\[\\]]*):[0-9]{1,5}$';

export const listenerTlsSchema = schema({
  type: 'object',
  additionalProperties: false,
  required: ['cert_file', 'key_file'],
  description: 'Serve TLS with this PEM certificate and key (webhook: HTTPS).',
  properties: {
    cert_file: { type: 'string' },
    key_file: { type: 'string' },
    client_ca_file: {
      type: 'string',
      description:
        'CA bundle (PEM) client certificates must chain to (mTLS); needed by client_auth optional / required',
    },
    client_auth: {
      enum: ['none', 'optional', 'required'],
      description:
        'none (default) asks no client certificate; required refuses a client without a valid one at the TLS handshake; optional (webhook only) admits a valid certificate or the auth credentials',
    },
  },
});
