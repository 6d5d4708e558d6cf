/**
 * The workflows and screens of the Jira fake. A transition with a screen "updates the fields
 * from the transition screen" (Atlassian's doTransition): a required field left out is a 400
 * ("Field Resolution is required."), a field that is not on the screen is a 400 too, and
 * `GET …/transitions?expand=transitions.fields` lists each screen's fields with `required`
 * and `allowedValues`. The create screen works the same way for `POST /issue`.
 */

export interface ScreenField {
  required: boolean;
  /** Names the field accepts (Resolution); absent for free fields. */
  allowedValues?: string[];
}
/** Field id → how the screen has it. An empty screen: the transition has no screen. */
export type Screen = Record<string, ScreenField>;

export interface FakeStatus {
  name: string;
  statusCategory: { key: 'new' | 'indeterminate' | 'done' };
}

export const STATUS = {
  todo: { name: 'To Do', statusCategory: { key: 'new' as const } },
  progress: { name: 'In Progress', statusCategory: { key: 'indeterminate' as const } },
  done: { name: 'Done', statusCategory: { key: 'done' as const } },
  resolved: { name: 'Resolved', statusCategory: { key: 'done' as const } },
  closed: { name: 'Closed', statusCategory: { key: 'done' as const } },
  waiting: { name: 'Waiting for support', statusCategory: { key: 'new' as const } },
  /** Jira Service Management's service-request workflows end requests here, with no transition out. */
  declined: { name: 'Declined', statusCategory: { key: 'done' as const } },
  canceled: { name: 'Canceled', statusCategory: { key: 'done' as const } },
};

/** Done statuses a workflow offers no transition from: nothing, reopen included, leaves them. */
export const FINAL_STATUSES = new Set([STATUS.declined.name, STATUS.canceled.name]);

export const RESOLUTIONS = ['Done', "Won't Do", 'Duplicate', 'Cannot Reproduce'];

export interface FakeWorkflow {
  /** Status of a new issue. */
  initial: FakeStatus;
  /** `setsNoResolution`: a workflow built from scratch, whose done status sets no resolution (nor its date). */
  resolve: { name: string; to: FakeStatus; screen: Screen; setsNoResolution?: boolean };
  reopen: {
    name: string;
    screen: Screen;
    /** The workflow refuses to reopen while a resolution is set, unless the request clears it. */
    refusesResolution?: boolean;
  };
  /** Extra transition offered from the initial status (never chosen by syncdesk). */
  start?: string;
}

const RESOLUTION_REQUIRED: Screen = { resolution: { required: true, allowedValues: RESOLUTIONS } };
const RESOLUTION_OPTIONAL: Screen = { resolution: { required: false, allowedValues: RESOLUTIONS } };

/**
 * simple: team-managed "Done" with no screen (a post-function sets the resolution).
 * classic: Jira's classic workflow, "Resolve Issue" with a Resolution screen, and a reopen
 * that refuses while the resolution is set (some company-managed workflows).
 * jsm: Jira Service Management, "Resolve this issue" to status Resolved.
 * scratch: a workflow built from scratch: "Done" sets no resolution, so no resolution date
 * ("the Resolved status is not connected in any way with the Resolution field").
 */
export const WORKFLOWS: Record<'simple' | 'classic' | 'jsm' | 'scratch', FakeWorkflow> = {
  simple: { initial: STATUS.todo, resolve: { name: 'Done', to: STATUS.done, screen: {} }, reopen: { name: 'Reopen', screen: {} }, start: 'Start Progress' },
  scratch: {
    initial: STATUS.todo,
    resolve: { name: 'Done', to: STATUS.done, screen: {}, setsNoResolution: true },
    reopen: { name: 'Reopen', screen: {} },
  },
  classic: {
    initial: STATUS.todo,
    resolve: { name: 'Resolve Issue', to: STATUS.resolved, screen: RESOLUTION_REQUIRED },
    reopen: { name: 'Reopen Issue', screen: RESOLUTION_OPTIONAL, refusesResolution: true },
    start: 'Start Progress',
  },
  jsm: {
    initial: STATUS.waiting,
    resolve: { name: 'Resolve this issue', to: STATUS.resolved, screen: RESOLUTION_REQUIRED },
    reopen: { name: 'Reopen', screen: {} },
    start: 'Respond to customer',
  },
};

/** Fields on the create screen besides project and issue type. */
export const CREATE_SCREENS = {
  /** Jira Software / work management: labels and description are there. */
  software: ['summary', 'description', 'labels', 'priority', 'assignee', 'reporter'],
  /** A JSM request type's screen: no Labels. */
  jsm: ['summary', 'description', 'reporter'],
};

const FIELD_NAMES: Record<string, string> = {
  summary: 'Summary',
  description: 'Description',
  labels: 'Labels',
  resolution: 'Resolution',
  priority: 'Priority',
  assignee: 'Assignee',
  reporter: 'Reporter',
  project: 'Project',
  issuetype: 'Issue Type',
};

export function fieldName(id: string): string {
  return FIELD_NAMES[id] ?? id;
}

/** A screen's fields as Jira lists them (transitions `fields`, createmeta `fields`). */
export function fieldMeta(id: string, field: ScreenField): Record<string, unknown> {
  return {
    fieldId: id,
    key: id,
    name: fieldName(id),
    required: field.required,
    hasDefaultValue: false,
    operations: ['set'],
    schema: id === 'labels' ? { type: 'array', items: 'string', system: id } : { type: id === 'resolution' ? 'resolution' : 'string', system: id },
    ...(field.allowedValues ? { allowedValues: field.allowedValues.map((name, i) => ({ id: String(10000 + i), name })) } : {}),
  };
}

export type FieldProblem = { errorMessages: string[]; errors: Record<string, string> };

export function notOnScreen(field: string): string {
  return `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;
}

/**
 * Why Jira would refuse these transition fields, or null. `resolution` comes back as the name
 * set, null when cleared, or undefined when not sent.
 */
export function checkScreen(screen: Screen, fields: Record<string, unknown>): FieldProblem | null {
  const errors: Record<string, string> = {};
  for (const id of Object.keys(fields)) if (!screen[id]) errors[id] = notOnScreen(id);
  if (Object.keys(errors).length) return { errorMessages: [], errors };
  for (const [id, spec] of Object.entries(screen)) {
    const value = fields[id];
    if (spec.required && (value === undefined || value === null)) return { errorMessages: [`Field ${fieldName(id)} is required.`], errors: {} };
    if (value === undefined || value === null || !spec.allowedValues) continue;
    const v = value as { name?: unknown; id?: unknown };
    const ok = spec.allowedValues.some((name, i) => v.name === name || v.id === String(10000 + i));
    if (!ok) errors[id] = `Specify a valid 'id' or 'name' for ${fieldName(id)}`;
  }
  return Object.keys(errors).length ? { errorMessages: [], errors } : null;
}

/** The resolution a request sets: its name, null when it clears it, undefined when it says nothing. */
export function resolutionOf(screen: Screen, fields: Record<string, unknown>): string | null | undefined {
  if (!('resolution' in fields)) return undefined;
  const v = fields.resolution as { name?: string; id?: string } | null;
  if (v === null) return null;
  const allowed = screen.resolution?.allowedValues ?? [];
  return v.name ?? allowed[Number(v.id) - 10000] ?? null;
}
