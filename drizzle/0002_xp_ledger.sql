CREATE TABLE `xp_ledger` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`amount` integer NOT NULL,
	`source` text NOT NULL,
	`reference` text,
	`balance_after` integer NOT NULL,
	`actor` text NOT NULL,
	`note` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "xp_ledger_amount_check" CHECK("xp_ledger"."amount" <> 0),
	CONSTRAINT "xp_ledger_balance_check" CHECK("xp_ledger"."balance_after" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `xp_ledger_source_reference_unique` ON `xp_ledger` (`source`,`reference`);--> statement-breakpoint
CREATE INDEX `xp_ledger_user_idx` ON `xp_ledger` (`user_id`,`id`);--> statement-breakpoint
DROP INDEX `profiles_xp_idx`;--> statement-breakpoint
ALTER TABLE `profiles` ADD `referred_by_user_id` integer REFERENCES users(id) ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE `profiles` ADD `referred_at` integer;--> statement-breakpoint
CREATE INDEX `profiles_leaderboard_idx` ON `profiles` ("xp" DESC,`user_id`);--> statement-breakpoint
-- The ledger must explain every balance: record any XP that predates it as one opening entry.
INSERT INTO `xp_ledger` (`user_id`, `amount`, `source`, `reference`, `balance_after`, `actor`, `note`, `created_at`) SELECT `user_id`, `xp`, 'admin_adjustment', 'opening-balance:' || `user_id`, `xp`, 'system', 'balance before the ledger existed', `updated_at` FROM `profiles` WHERE `xp` > 0;
