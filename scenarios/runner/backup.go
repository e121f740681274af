package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/scenarios"
)

var _ BackupTaker = (*accountPart)(nil)

// restoreRegion names the one region of an account restored from a backup.
const restoreRegion = "restored"

// needsBackups says whether the timeline takes or restores backups.
func needsBackups(s *scenarios.Scenario) bool {
	for _, e := range s.Timeline {
		if e.Action == scenarios.ActionBackup || e.Action == scenarios.ActionRestore {
			return true
		}
	}
	return false
}

// backupConfig gives the account a backup location of its own for the run (removed when
// the parts close); periodic backups then follow the scenario clock, as the service's do.
func backupConfig(s *scenarios.Scenario, env Env) (emulator.BackupConfig, func() error,
	error) {
	if !needsBackups(s) {
		return emulator.BackupConfig{}, func() error { return nil }, nil
	}
	dir, err := os.MkdirTemp("", "stampede-backups-")
	if err != nil {
		return emulator.BackupConfig{}, nil, fmt.Errorf("backup location: %w", err)
	}
	cfg := emulator.BackupConfig{Dir: dir + "/primary", GeoDir: dir + "/geo",
		Clock: env.Clock.Now}
	return cfg, func() error { return os.RemoveAll(dir) }, nil
}

// Backup takes a backup of the write region now.
func (p *accountPart) Backup(ctx context.Context) (string, error) {
	info, err := p.acct.Backup(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("backup %s of %s: %d documents, %d bytes", info.Name,
		info.WriteRegion, info.Documents, info.Bytes), nil
}

// Restore restores the latest backup as the service does, into a new account (one region,
// in this process), and reads every tenant's profiles back from it: the drill proves the
// backup restores and is readable through the SDK. The run's own account is left as it is.
func (p *accountPart) Restore(ctx context.Context) (string, error) {
	backups, err := p.acct.Backups()
	if err != nil {
		return "", fmt.Errorf("list backups: %w", err)
	}
	if len(backups) == 0 {
		return "", errors.New("no backup to restore: take one first (action backup)")
	}
	latest := backups[len(backups)-1]
	start := time.Now()
	restored, err := emulator.StartAccount(ctx, emulator.Config{Logger: p.log},
		emulator.RegionsConfig{Regions: []string{restoreRegion}, RestoreFrom: latest.Path})
	if err != nil {
		return "", fmt.Errorf("restore %s: %w", latest.Name, err)
	}
	defer func() { _ = restored.Shutdown(context.WithoutCancel(ctx)) }()
	took := time.Since(start)
	profiles, events, err := p.readProfiles(ctx, restored)
	if err != nil {
		return "", fmt.Errorf("read the account restored from %s: %w", latest.Name, err)
	}
	return fmt.Sprintf("restored %s (%d documents) into a new account in %s: %d profiles "+
		"holding %d events readable", latest.Name, latest.Documents,
		took.Round(time.Millisecond), profiles, events), nil
}

// readProfiles reads the profiles of every tenant database from acct, through the SDK.
func (p *accountPart) readProfiles(ctx context.Context, acct *emulator.Account) (int, int64,
	error) {
	client, err := newCosmosClient(acct.Endpoint(), acct.Key())
	if err != nil {
		return 0, 0, err
	}
	var profiles int
	var events int64
	for _, db := range p.databases() {
		stored, err := storedCounts(ctx, client.NewContainer, db)
		if err != nil {
			return 0, 0, err
		}
		profiles += len(stored)
		for _, n := range stored {
			events += n
		}
	}
	return profiles, events, nil
}
