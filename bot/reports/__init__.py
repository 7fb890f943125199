"""Reports for staff: the seed-layout text summary and CSV/XLSX exports."""
