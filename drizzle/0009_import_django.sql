CREATE TABLE `imported_rows` (
	`kind` text NOT NULL,
	`source_id` text NOT NULL,
	`target_id` integer NOT NULL,
	`imported_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `source_id`)
);
