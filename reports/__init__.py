"""Documents made from isocycle's data: Word (.docx, docxtpl templates) and Excel (.xlsx)."""
