from django.core.management.base import BaseCommand

from knowledgebase.search import rebuild_index, search_backend


class Command(BaseCommand):
    help = "Rebuild the knowledge base's SQLite FTS5 search index from the articles (no-op on PostgreSQL)."

    def handle(self, *args, **options):
        backend = search_backend()
        if backend != "fts5":
            self.stdout.write(f"Search backend is {backend}: nothing to rebuild.")
            return
        self.stdout.write(self.style.SUCCESS(f"Indexed {rebuild_index()} article(s)."))
