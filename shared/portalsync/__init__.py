"""portalsync: Customer Care Portal access for Google Workspace resellers."""
