/** Two of Microsoft's error sentences as reports print them (real-reports.md §2), for table tests. */
export const FED = 'Unable to update this object in Azure Active Directory, because the attribute [FederatedUser.UserPrincipalName], is not valid.';
export const LARGE = 'The provisioned object is too large. Trim the number of attribute values on this object.';
