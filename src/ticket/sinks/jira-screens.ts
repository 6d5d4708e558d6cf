import { PermanentError } from '../../errors.ts';

/**
 * What Jira's screens allow, decided from what Jira says about them. A transition with a
 * screen takes only the screen's fields and needs every required one: the classic "Resolve
 * Issue" and JSM's "Resolve this issue" need a Resolution (400 "Field Resolution is required."
 * without it). `GET …/transitions?expand=transitions.fields` lists the screen's fields with
 * `required` and `allowedValues`; these functions turn that into the request body. Pure, so
 * every rule is tested without a Jira.
 */

export interface JiraFieldMeta {
  required?: boolean;
  name?: string;
  hasDefaultValue?: boolean;
  allowedValues?: Array<{ id?: string; name?: string; value?: string }>;
}

export interface JiraTransition {
  id: string;
  name: string;
  to?: { name?: string; statusCategory?: { key?: string } };
  /** Present with `expand=transitions.fields`: the transition screen's fields. */
  fields?: Record<string, JiraFieldMeta>;
}

/** The first configured name that matches a transition, or its target status, case-insensitively. */
export function chooseTransition(available: JiraTransition[], names: string[]): JiraTransition | undefined {
  for (const name of names) {
    const n = name.toLowerCase();
    const chosen = available.find((t) => t.name.toLowerCase() === n) ?? available.find((t) => t.to?.name?.toLowerCase() === n);
    if (chosen) return chosen;
  }
  return undefined;
}

/** The configured resolution when the screen allows it, else the first allowed one. */
function pickResolution(field: JiraFieldMeta, wanted: string): { name: string } | { id: string } | null {
  const allowed = field.allowedValues ?? [];
  const exact = allowed.find((v) => v.name?.toLowerCase() === wanted.toLowerCase());
  const chosen = exact ?? allowed[0];
  if (!chosen) return allowed.length === 0 && wanted ? { name: wanted } : null;
  return chosen.name ? { name: chosen.name } : chosen.id ? { id: chosen.id } : null;
}

/**
 * The `fields` of a transition request: only fields on the transition's screen. Resolving
 * sets the resolution (required or not, so the issue reads as resolved, not won't-fix);
 * reopening clears it where the screen has it (some workflows refuse to reopen while it is
 * set). Any other required field without a default cannot be filled by syncdesk: permanent,
 * with the fix.
 */
export function transitionFields(t: JiraTransition, what: 'resolve' | 'reopen', resolution: string): Record<string, unknown> {
  const screen = t.fields ?? {};
  const out: Record<string, unknown> = {};
  const res = screen.resolution;
  if (res && what === 'resolve') {
    const value = pickResolution(res, resolution);
    if (value) out.resolution = value;
  }
  if (res && what === 'reopen' && !res.required) out.resolution = null;
  const unfillable = Object.entries(screen)
    .filter(([id, f]) => f.required && !f.hasDefaultValue && !(id in out && out[id] !== null))
    .map(([id, f]) => f.name ?? id);
  if (unfillable.length) {
    throw new PermanentError(
      `jira: transition '${t.name}' requires ${unfillable.join(', ')}, which syncdesk cannot fill; make the field optional or give it a default on the transition screen, or set JIRA_${what === 'resolve' ? 'RESOLVE' : 'REOPEN'}_TRANSITIONS to a transition without it`,
      'desk_transition_fields',
    );
  }
  return out;
}

/** What the create screen has of the fields syncdesk sends, from createmeta. */
export interface CreateScreen {
  labels: boolean;
  description: boolean;
  /** The priority names the screen offers ([]: on the screen, names not listed), or null: no Priority on the screen. */
  priorities: string[] | null;
}

export function createScreenOf(fields: Array<{ fieldId?: string; key?: string; allowedValues?: Array<{ name?: string }> }>): CreateScreen {
  const byId = new Map(fields.map((f) => [f.fieldId ?? f.key ?? '', f]));
  const priority = byId.get('priority');
  const priorities = priority ? (priority.allowedValues ?? []).flatMap((v) => (v.name ? [v.name] : [])) : null;
  return { labels: byId.has('labels'), description: byId.has('description'), priorities };
}

/**
 * The `priority` of a create, by name: the configured name as the screen spells it; null when
 * the screen has no Priority or does not offer that name (Jira would refuse the whole create:
 * "The priority selected is invalid."). An unknown screen (no createmeta) sends the name as is.
 */
export function priorityField(screen: CreateScreen | null, wanted: string): { name: string } | null {
  if (!screen) return { name: wanted };
  if (!screen.priorities) return null;
  if (!screen.priorities.length) return { name: wanted };
  const found = screen.priorities.find((n) => n.toLowerCase() === wanted.toLowerCase());
  return found ? { name: found } : null;
}

/** The fix when the create screen lacks Labels: syncdesk finds its issues by that label. */
export function labelsMissing(project: string, issueType: string): PermanentError {
  return new PermanentError(
    `jira: the create screen of ${project} / ${issueType} has no Labels field; syncdesk keys its issues by label. Add Labels to the screen (Project settings → Issue types/Request types → ${issueType} → fields), or set JIRA_ISSUE_TYPE to a type whose screen has it`,
    'desk_create_screen',
  );
}
