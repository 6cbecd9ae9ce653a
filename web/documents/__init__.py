"""Document downloads ("Tải báo cáo (.docx)"): one module per family of documents."""
