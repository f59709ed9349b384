CREATE TABLE `check_ins` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`date` text NOT NULL,
	`timezone` text NOT NULL,
	`streak_day` integer NOT NULL,
	`cycle_day` integer NOT NULL,
	`xp_earned` integer NOT NULL,
	`freezes_used` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `check_ins_user_date_unique` ON `check_ins` (`user_id`,`date`);--> statement-breakpoint
CREATE INDEX `check_ins_user_idx` ON `check_ins` (`user_id`,`id`);