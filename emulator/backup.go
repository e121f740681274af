package emulator

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Defaults of BackupConfig, the service's periodic backup defaults.
const (
	DefaultBackupInterval  = 4 * time.Hour
	DefaultBackupRetention = 8 * time.Hour
	// backupCheckInterval is how often (real time) the backup loop looks at the clock.
	backupCheckInterval = 100 * time.Millisecond
)

// BackupConfig configures periodic backups, as the service takes them: a full backup of
// the write region every Interval, kept for Retention, written to Dir with a
// geo-redundant copy in GeoDir. Interval and Retention are on Clock (the scenario clock),
// so a compressed scenario takes its backups in compressed time.
type BackupConfig struct {
	// Dir is the backup location. Empty turns periodic backups off.
	Dir string
	// GeoDir receives a copy of every backup. Empty means Dir + "-geo".
	GeoDir string
	// Interval between backups. Zero means DefaultBackupInterval.
	Interval time.Duration
	// Retention is how long a backup is kept. Zero means DefaultBackupRetention.
	Retention time.Duration
	// Clock is the scenario clock. Nil means the account's Config.Clock.
	Clock func() time.Time
}

func (c BackupConfig) withDefaults(clock func() time.Time) BackupConfig {
	if c.GeoDir == "" && c.Dir != "" {
		c.GeoDir = strings.TrimRight(c.Dir, string(filepath.Separator)) + "-geo"
	}
	if c.Interval == 0 {
		c.Interval = DefaultBackupInterval
	}
	if c.Retention == 0 {
		c.Retention = DefaultBackupRetention
	}
	if c.Clock == nil {
		c.Clock = clock
	}
	return c
}

// Validate reports every problem of c, joined.
func (c BackupConfig) Validate() error {
	var errs []error
	if c.Interval < 0 || c.Retention < 0 {
		errs = append(errs, errors.New("backup interval and retention: want >= 0"))
	}
	if c.Interval > 0 && c.Retention > 0 && c.Retention < c.Interval {
		errs = append(errs, fmt.Errorf("backup retention %v is shorter than the interval %v; "+
			"no backup would be kept", c.Retention, c.Interval))
	}
	if c.Dir != "" && c.GeoDir != "" && filepath.Clean(c.Dir) == filepath.Clean(c.GeoDir) {
		errs = append(errs, errors.New("backup geo dir must differ from the backup dir"))
	}
	return errors.Join(errs...)
}

// BackupInfo describes one backup; it is also the manifest written next to its data.
type BackupInfo struct {
	// Name identifies the backup: backup-<scenario time>-<n>.
	Name string `json:"name"`
	// At is the scenario time the backup was taken.
	At          time.Time `json:"at"`
	WriteRegion string    `json:"writeRegion"`
	Documents   int       `json:"documents"`
	Bytes       int64     `json:"bytes"`
	SHA256      string    `json:"sha256"`
	// Path and GeoPath are the data files in the two locations.
	Path    string `json:"path"`
	GeoPath string `json:"geoPath"`
}

// Backup takes a backup of the write region now, into the backup locations, and applies
// retention. The documents are captured at one instant across all partitions (every
// partition is read-locked together for the capture, which copies pointers only), so a
// restore gives exactly the data as of that instant.
func (a *Account) Backup(ctx context.Context) (BackupInfo, error) {
	bc := a.backup
	if bc.Dir == "" {
		return BackupInfo{}, errors.New("backup: the account has no backup location " +
			"(BackupConfig.Dir)")
	}
	a.backupMu.Lock()
	defer a.backupMu.Unlock()
	at := bc.Clock()
	a.backupSeq++
	name := fmt.Sprintf("backup-%s-%d", at.UTC().Format("20060102T150405Z"), a.backupSeq)
	info := BackupInfo{Name: name, At: at, WriteRegion: a.WriteRegion(),
		Path: filepath.Join(bc.Dir, name+".bin"), GeoPath: filepath.Join(bc.GeoDir, name+".bin")}
	cut := captureStore(a.writer.Load().srv.store)
	if err := writeBackup(ctx, &info, cut, bc); err != nil {
		return BackupInfo{}, fmt.Errorf("backup %s: %w", name, err)
	}
	a.pruneBackups(at)
	return info, nil
}

// Backups lists the backups kept in the backup location, oldest first.
func (a *Account) Backups() ([]BackupInfo, error) {
	if a.backup.Dir == "" {
		return nil, nil
	}
	return ListBackups(a.backup.Dir)
}

// ListBackups lists the backups in dir (their manifests), oldest first.
func ListBackups(dir string) ([]BackupInfo, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "backup-*.json"))
	if err != nil {
		return nil, err
	}
	var out []BackupInfo
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read backup manifest: %w", err)
		}
		var info BackupInfo
		if err := json.Unmarshal(raw, &info); err != nil {
			return nil, fmt.Errorf("backup manifest %s: %w", p, err)
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(x, y BackupInfo) int { return x.At.Compare(y.At) })
	return out, nil
}

// storeCut is a store captured at one instant: metadata and, per partition, its LSN and
// live versions (immutable, so holding them is enough).
type storeCut struct {
	img   metaImage
	parts []partitionCut
}

type partitionCut struct {
	ref   PartitionRef
	lsn   int64
	items []*item
}

// captureStore read-locks the metadata and every partition together and copies pointers.
// A split between reading the metadata and locking the partitions starts it again, so the
// cut never holds documents in ranges its metadata lacks.
func captureStore(st *store) storeCut {
	img, parts := lockedImage(st)
	cut := storeCut{img: img, parts: make([]partitionCut, len(parts))}
	for i, p := range parts {
		pc := partitionCut{ref: p.ref(), lsn: p.lsn, items: make([]*item, 0, len(p.items))}
		for _, s := range p.order {
			if s.cur != nil {
				pc.items = append(pc.items, s.cur)
			}
		}
		cut.parts[i] = pc
	}
	for _, p := range parts {
		p.mu.RUnlock()
	}
	return cut
}

// lockedImage returns st's metadata and its partitions, read-locked, unsplit since the
// metadata was read.
func lockedImage(st *store) (metaImage, []*partition) {
	for {
		img, byRID := imageWithPartitions(st)
		var parts []*partition
		for _, ps := range byRID {
			parts = append(parts, ps...)
		}
		for _, p := range parts {
			p.mu.RLock()
		}
		if unsplit(byRID) {
			return img, parts
		}
		for _, p := range parts {
			p.mu.RUnlock()
		}
	}
}

// unsplit reports whether every container still has the partitions listed for it.
func unsplit(byRID map[string][]*partition) bool {
	for _, ps := range byRID {
		if len(ps) > 0 && !slices.Equal(ps, ps[0].c.partitions()) {
			return false
		}
	}
	return true
}

// encode writes the cut in the snapshot format and returns the documents written.
func (cut storeCut) encode(w io.Writer) (int, error) {
	payload, _ := json.Marshal(cut.img)
	if _, err := w.Write(appendFrame(nil, frameMetadata, payload)); err != nil {
		return 0, err
	}
	docs := 0
	var buf []byte
	for _, pc := range cut.parts {
		buf = appendPartitionFrame(buf[:0], pc.ref, pc.lsn)
		for _, it := range pc.items {
			buf = appendItemFrame(buf, pc.ref, it.lsn, opCreate, itemKey(it.pk, it.id), it,
				stampOf(it), writeStamp{})
			if len(buf) > 1<<20 {
				if _, err := w.Write(buf); err != nil {
					return docs, err
				}
				buf = buf[:0]
			}
		}
		if _, err := w.Write(buf); err != nil {
			return docs, err
		}
		docs += len(pc.items)
	}
	return docs, nil
}

// writeBackup writes the data file and manifest to the backup location, then copies both
// to the geo location.
func writeBackup(ctx context.Context, info *BackupInfo, cut storeCut, bc BackupConfig) error {
	for _, dir := range []string{bc.Dir, bc.GeoDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("backup location: %w", err)
		}
	}
	sum := sha256.New()
	_, err := writeFileAtomic(info.Path, func(w io.Writer) error {
		cw := &countingWriter{w: io.MultiWriter(w, sum)}
		docs, err := cut.encode(cw)
		info.Documents, info.Bytes = docs, cw.n
		return err
	})
	if err != nil {
		return err
	}
	info.SHA256 = hex.EncodeToString(sum.Sum(nil))
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := copyFile(info.Path, info.GeoPath); err != nil {
		return fmt.Errorf("geo-redundant copy: %w", err)
	}
	manifest, _ := json.MarshalIndent(info, "", "  ")
	// The manifest publishes a backup: the geo copy's first, so a listed backup is complete
	// in both locations.
	for _, dir := range []string{bc.GeoDir, bc.Dir} {
		path := filepath.Join(dir, info.Name+".json")
		if _, err := writeFileAtomic(path, func(w io.Writer) error {
			_, err := w.Write(manifest)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeFileAtomic writes path through a temporary file, synced and renamed into place.
func writeFileAtomic(path string, fill func(io.Writer) error) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	w := bufio.NewWriterSize(f, 1<<20)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), syncDir(filepath.Dir(path))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = writeFileAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
	return err
}

// pruneBackups deletes, in both locations, backups older than the retention at now.
func (a *Account) pruneBackups(now time.Time) {
	bc := a.backup
	// The geo copy goes first, so the backup location never lists fewer than the geo one.
	for _, dir := range []string{bc.GeoDir, bc.Dir} {
		infos, err := ListBackups(dir)
		if err != nil {
			continue
		}
		for _, info := range infos {
			if now.Sub(info.At) > bc.Retention {
				_ = os.Remove(filepath.Join(dir, info.Name+".bin"))
				_ = os.Remove(filepath.Join(dir, info.Name+".json"))
			}
		}
	}
}

// backupLoop takes a backup every Interval of the scenario clock until stop.
func (a *Account) backupLoop(stop <-chan struct{}) {
	next := a.backup.Clock().Add(a.backup.Interval)
	t := time.NewTicker(backupCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if now := a.backup.Clock(); !now.Before(next) {
			if _, err := a.Backup(context.Background()); err != nil {
				a.log.Error("periodic backup failed", "err", err)
			}
			for !next.After(now) {
				next = next.Add(a.backup.Interval)
			}
		}
	}
}

// loadBackup fills st from a backup's data file after checking its checksum.
func loadBackup(path string, st *store) (int, error) {
	manifest := strings.TrimSuffix(path, ".bin") + ".json"
	raw, err := os.ReadFile(manifest)
	if err != nil {
		return 0, fmt.Errorf("read backup manifest: %w", err)
	}
	var info BackupInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return 0, fmt.Errorf("backup manifest %s: %w", manifest, err)
	}
	if err := checkSHA256(path, info.SHA256); err != nil {
		return 0, err
	}
	return loadSnapshot(path, st, nil)
}

func checkSHA256(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open backup: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read backup: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("backup %s is damaged: sha256 %s, manifest says %s", path, got, want)
	}
	return nil
}
