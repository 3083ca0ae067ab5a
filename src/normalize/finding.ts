// A detect.Finding as printed by the deprecated `tracee-rules` binary (rawjson template):
// {"Data":{…},"Context":<classic event>,"SigMetadata":{ID,EventName,Version,Name,Description,Tags,Properties}}.
// It becomes the classic detection event Tracee itself would have printed (findings.go rules).

import type { TraceeEvent } from '../model/event.ts';
import { fromClassic } from './classic.ts';
import { obj, type Obj, ShapeError, str } from './read.ts';

export function fromFinding(f: Obj, marked: boolean): TraceeEvent {
  const context = obj(f.Context, 'Context');
  const sig = obj(f.SigMetadata, 'SigMetadata');
  if (context === undefined) throw new ShapeError('Context', 'an object (the triggering event)', f.Context);
  if (sig === undefined) throw new ShapeError('SigMetadata', 'an object', f.SigMetadata);
  const data = obj(f.Data, 'Data') ?? {};
  const eventName = str(sig.EventName, 'SigMetadata.EventName') || str(sig.Name, 'SigMetadata.Name');
  if (!eventName) throw new ShapeError('SigMetadata.EventName', 'a non-empty string', sig.EventName);
  const properties: Obj = { ...(obj(sig.Properties, 'SigMetadata.Properties') ?? {}) };
  if (sig.ID !== undefined) properties.signatureID = sig.ID;
  if (sig.Name !== undefined) properties.signatureName = sig.Name;
  const triggering = {
    id: Number(context.eventId) || 0,
    name: context.eventName,
    args: context.args ?? [],
    returnValue: context.returnValue ?? 0,
  };
  const args = Object.keys(data).map((name) => ({ name, type: 'unknown', value: data[name] }));
  if (Array.isArray(context.args) && context.args.length > 0)
    args.push({ name: 'detectedFrom', type: 'unknown', value: triggering });
  const classic: Obj = {
    ...context,
    eventName,
    args,
    metadata: { Version: sig.Version, Description: sig.Description, Tags: sig.Tags, Properties: properties },
  };
  return fromClassic(classic, marked);
}
