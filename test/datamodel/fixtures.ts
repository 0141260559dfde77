/**
 * Hand-written ClusterMetadata fixtures (from lighting-app.matter / air-purifier-app.matter and the
 * seed's camera example) used until, and alongside, the generated cluster modules.
 */
import type { ClusterMetadata, FieldInfo, TypeInfo } from '../../modules/datamodel/index.js';

const u8: TypeInfo = { kind: 'int', matterType: 'int8u', min: 0, max: 255 };
const u16: TypeInfo = { kind: 'int', matterType: 'int16u', min: 0, max: 65535 };
const u32: TypeInfo = { kind: 'int', matterType: 'int32u', min: 0, max: 4294967295 };
const bool: TypeInfo = { kind: 'bool' };
const percent: TypeInfo = { kind: 'int', matterType: 'percent', min: 0, max: 100 };
const options: TypeInfo = { kind: 'bitmap', name: 'OptionsBitmap', mask: 0x3 };

const field = (id: number, name: string, type: TypeInfo, extra: Partial<FieldInfo> = {}): FieldInfo => ({
  id,
  name,
  wireName: name[0]!.toUpperCase() + name.slice(1),
  type,
  optional: false,
  nullable: false,
  ...extra,
});

const attr = (id: number, name: string, type: TypeInfo, o: { writable?: boolean; optional?: boolean; nullable?: boolean } = {}) => {
  const property = name[0]!.toUpperCase() + name.slice(1);
  return {
    id,
    name,
    property,
    type,
    optional: o.optional ?? false,
    nullable: o.nullable ?? false,
    readable: true,
    writable: o.writable ?? false,
    getter: 'get' + property,
    ...(o.writable ? { setter: 'set' + property } : {}),
  };
};

export const OnOff: ClusterMetadata = {
  id: 6,
  name: 'OnOff',
  revision: 6,
  capabilityId: 'matter.OnOff@1.4',
  attributes: [
    attr(0, 'onOff', bool),
    attr(0x4000, 'globalSceneControl', bool, { optional: true }),
    attr(0x4001, 'onTime', u16, { writable: true, optional: true }),
    attr(0x4002, 'offWaitTime', u16, { writable: true, optional: true }),
    attr(0x4003, 'startUpOnOff', { kind: 'enum', name: 'StartUpOnOffEnum', values: [0, 1, 2] }, { writable: true, optional: true, nullable: true }),
  ],
  commands: [
    { id: 0, name: 'Off', method: 'off', request: [] },
    { id: 1, name: 'On', method: 'on', request: [] },
    { id: 2, name: 'Toggle', method: 'toggle', request: [] },
    {
      id: 0x40,
      name: 'OffWithEffect',
      method: 'offWithEffect',
      request: [field(0, 'effectIdentifier', { kind: 'enum', name: 'EffectIdentifierEnum', values: [0, 1] }), field(1, 'effectVariant', { kind: 'int', matterType: 'enum8', min: 0, max: 255 })],
    },
    { id: 0x41, name: 'OnWithRecallGlobalScene', method: 'onWithRecallGlobalScene', request: [] },
    {
      id: 0x42,
      name: 'OnWithTimedOff',
      method: 'onWithTimedOff',
      request: [field(0, 'onOffControl', { kind: 'bitmap', name: 'OnOffControlBitmap', mask: 0x1 }), field(1, 'onTime', u16), field(2, 'offWaitTime', u16)],
    },
  ],
  events: [],
};

export const LevelControl: ClusterMetadata = {
  id: 8,
  name: 'LevelControl',
  revision: 6,
  capabilityId: 'matter.LevelControl@1.4',
  attributes: [
    attr(0, 'currentLevel', u8, { nullable: true }),
    attr(15, 'options', options, { writable: true }),
    attr(17, 'onLevel', u8, { writable: true, nullable: true }),
    attr(20, 'defaultMoveRate', u8, { writable: true, optional: true, nullable: true }),
  ],
  commands: [
    {
      id: 0,
      name: 'MoveToLevel',
      method: 'moveToLevel',
      request: [field(0, 'level', u8), field(1, 'transitionTime', u16, { nullable: true }), field(2, 'optionsMask', options), field(3, 'optionsOverride', options)],
    },
  ],
  events: [],
};

export const FanControl: ClusterMetadata = {
  id: 0x202,
  name: 'FanControl',
  revision: 5,
  capabilityId: 'matter.FanControl@1.4',
  attributes: [
    attr(0, 'fanMode', { kind: 'enum', name: 'FanModeEnum', values: [0, 1, 2, 3, 4, 5, 6] }, { writable: true }),
    attr(1, 'fanModeSequence', { kind: 'enum', name: 'FanModeSequenceEnum', values: [0, 1, 2, 3, 4, 5] }),
    attr(2, 'percentSetting', percent, { writable: true, nullable: true }),
    attr(3, 'percentCurrent', percent),
  ],
  commands: [
    {
      id: 0,
      name: 'Step',
      method: 'step',
      request: [field(0, 'direction', { kind: 'enum', name: 'StepDirectionEnum', values: [0, 1] }), field(1, 'wrap', bool, { optional: true }), field(2, 'lowestOff', bool, { optional: true })],
    },
  ],
  events: [],
};

/** The seed's camera example: CameraAvStreamManagement's VideoStreamChanged event. */
export const CameraAvStreamManagement: ClusterMetadata = {
  id: 0x551,
  name: 'CameraAvStreamManagement',
  revision: 1,
  capabilityId: 'matter.CameraAvStreamManagement@1.4',
  attributes: [attr(0x0b, 'maxConcurrentEncoders', u8)],
  commands: [
    {
      id: 3,
      name: 'VideoStreamAllocate',
      method: 'videoStreamAllocate',
      request: [field(0, 'streamUsage', { kind: 'enum', name: 'StreamUsageEnum', values: [0, 1, 2, 3] }), field(2, 'minFrameRate', u16), field(3, 'maxFrameRate', u16)],
      response: { id: 4, name: 'VideoStreamAllocateResponse', fields: [field(0, 'videoStreamID', u16)] },
    },
  ],
  events: [
    {
      id: 0,
      name: 'VideoStreamChanged',
      priority: 'INFO',
      fields: [
        field(0, 'videoStreamID', u16),
        field(1, 'streamUsage', { kind: 'enum', name: 'StreamUsageEnum', values: [0, 1, 2, 3] }, { optional: true }),
        field(3, 'minFrameRate', u16, { optional: true }),
        field(4, 'maxFrameRate', u16, { optional: true }),
      ],
    },
  ],
};

/** A custom capability exercising strings, octets, lists and structs. */
export const Labels: ClusterMetadata = {
  id: 0xfff1_fc01,
  name: 'Labels',
  revision: 1,
  capabilityId: 'custom.Labels@1.0',
  attributes: [
    attr(0, 'label', { kind: 'string', maxLength: 8 }, { writable: true }),
    attr(1, 'blob', { kind: 'octets', maxLength: 4 }, { writable: true }),
    attr(2, 'tags', { kind: 'list', item: { kind: 'string', maxLength: 4 }, maxLength: 3 }, { writable: true }),
    attr(3, 'point', { kind: 'struct', name: 'Point', fields: [field(0, 'x', u32), field(1, 'y', u32, { optional: true, nullable: true })] }, { writable: true }),
    attr(4, 'ratio', { kind: 'float', matterType: 'single' }, { writable: true }),
  ],
  commands: [
    {
      id: 0,
      name: 'Describe',
      method: 'describe',
      request: [field(0, 'text', { kind: 'string', maxLength: 8 })],
      response: { id: 1, name: 'DescribeResponse', fields: [field(0, 'length', u32), field(1, 'echo', { kind: 'string' })] },
    },
  ],
  events: [{ id: 0, name: 'Noticed', priority: 'CRITICAL', fields: [field(0, 'what', { kind: 'string', maxLength: 16 })] }],
};
