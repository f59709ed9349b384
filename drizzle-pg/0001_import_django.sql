CREATE TABLE "imported_rows" (
	"kind" text NOT NULL,
	"source_id" text NOT NULL,
	"target_id" integer NOT NULL,
	"imported_at" bigint NOT NULL,
	CONSTRAINT "imported_rows_kind_source_id_pk" PRIMARY KEY("kind","source_id")
);
