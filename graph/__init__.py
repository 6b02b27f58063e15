"""graph: the obligation graph — extraction (obligations, cross-references, penalties, definitions), the store
(official neo4j driver over ArcadeDB or Neo4j), embeddings and the query layer used by qa and ui."""
