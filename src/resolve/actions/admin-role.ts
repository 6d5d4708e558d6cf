import { ADMIN_ROLE_CONFLICT_CODES, type SyncError } from '../../../schemas/report.schema.ts';
import type { Holder } from '../../../schemas/resolution.schema.ts';
import { odataEq, psFilter, psQuote } from '../powershell.ts';
import { type Action, confirmHolder, deleteSyncedCopyCommand, RETRY_DELETED_ITEM, showSyncedCopyStep, step, SYNC_COMMAND } from './steps.ts';

/**
 * The directory roles a cloud user holds, as role assignments: active, and eligible (PIM); and
 * the role-assignable groups it is in, whose roles it holds too (an assignment by principalId
 * lists only the user's own).
 */
export function rolesOfCommand(holder: Holder): string {
  const principal = psFilter(odataEq('principalId', holder.id));
  return [
    `Get-MgRoleManagementDirectoryRoleAssignment -Filter ${principal} -ExpandProperty RoleDefinition -All | Select-Object Id,@{n='Role';e={$_.RoleDefinition.DisplayName}},DirectoryScopeId`,
    `Get-MgRoleManagementDirectoryRoleEligibilitySchedule -Filter ${principal} -ExpandProperty RoleDefinition -All | Select-Object Id,@{n='EligibleRole';e={$_.RoleDefinition.DisplayName}}`,
    `Get-MgUserTransitiveMemberOf -UserId ${psQuote(holder.id)} -All | Where-Object { $_.AdditionalProperties.isAssignableToRole } | Select-Object Id,@{n='RoleAssignableGroup';e={$_.AdditionalProperties.displayName}}`,
  ].join('; ');
}

/** The error names a UPN a cloud user with an admin role holds (the name the report's error column gives it). */
export function isAdminRoleConflict(error: SyncError): boolean {
  return error.errorCode !== null && ADMIN_ROLE_CODES.has(error.errorCode);
}
const ADMIN_ROLE_CODES: ReadonlySet<string> = new Set(ADMIN_ROLE_CONFLICT_CODES);

export const ADMIN_ROLE_NOTE =
  'Existing Admin Role Conflict: Entra Connect does not soft-match an on-premises user to a cloud user that holds an admin role, so the on-premises user was kept apart (quarantined) instead of joining it.';

/**
 * Microsoft's fix (tshoot-connect-sync-errors, "Existing Admin Role Conflict"): take the roles
 * off the cloud user, hard-delete the quarantined copy, let sync soft-match, give the roles back.
 * The soft-match advice for other cloud holders would not work here: the role is what blocks it.
 * Roles are read as role assignments, active and eligible (PIM), not as directoryRole memberships,
 * which show only the active ones.
 */
export function adminRoleConflictActions(error: SyncError, holder: Holder): Action[] {
  const anchor = error.onPremisesObjectId;
  return [
    confirmHolder(holder),
    step(
      'Write down the admin roles the cloud user holds, active and eligible: they must come off before sync can match it, and go back on afterwards (a role held through a group: take the user out of the group).',
      rolesOfCommand(holder),
    ),
    step('Remove each active assignment by its Id (eligible ones in Privileged Identity Management).', `Remove-MgRoleManagementDirectoryRoleAssignment -UnifiedRoleAssignmentId ${psQuote('<assignment-id>')}`),
    showSyncedCopyStep(anchor),
    step(
      `Hard-delete the quarantined object the step above showed: delete it, then remove it from deleted items, which cannot be undone (only when exactly one object is found; ${RETRY_DELETED_ITEM}).`,
      deleteSyncedCopyCommand(anchor),
    ),
    step('Run a delta sync: the on-premises user now soft-matches the cloud user.', SYNC_COMMAND),
    step('Give the cloud user back the roles written down in the second step.', null),
  ];
}
