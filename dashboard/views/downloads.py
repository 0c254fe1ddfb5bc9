"""A page as a PDF download (dashboard/printed.py makes the PDF)."""

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard import printed

logger = logging.getLogger("dashboard.views")


def pdf_download(request: HttpRequest, html: str, filename: str) -> HttpResponse:
    try:
        document = printed.pdf(html)
    except OSError:
        # WeasyPrint's system libraries (Pango) are missing: the README names them.
        logger.exception("PDF not made: WeasyPrint's system libraries are missing")
        ctx = {
            "title": "PDFs cannot be made on this server",
            "explanation": "The server lacks the libraries PDFs are drawn with (Pango).",
            "what_to_do": "Print the page instead (the print dialog saves it as a PDF too), and tell an administrator.",
            "back_url": request.path,
            "back_label": "Back to the page",
        }
        return render(request, "errors/unavailable.html", ctx, status=503)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
