// The go-control-plane peer for bench/peers.ts: go-control-plane v0.14's SnapshotCache and ADS server serving a
// build directory written by `meshc build` (the same files `meshc serve <dir>` reads), one snapshot per service,
// keyed by the node's cluster (meshc sets node.cluster to the service name). Each kind's version is the one in
// manifest.json, so a reload resends only the kinds whose content changed, as meshc does. SIGHUP re-reads the
// directory (the reload trigger; files are read by a pool of goroutines) and publishes every service's snapshot.
// Prints JSON lines on stdout: {"msg":"ready",...} once serving, {"msg":"published",...} after each reload, with
// Unix-ms timestamps the benchmark compares with its own clock.
//
//	go build -o gocp-peer . && ./gocp-peer -dir build/ -addr 127.0.0.1:19300
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/encoding/protojson"
)

// byCluster keys snapshots by node.cluster, the service name.
type byCluster struct{}

func (byCluster) ID(node *core.Node) string {
	if node == nil {
		return ""
	}
	return node.Cluster
}

type manifestEntry struct {
	Version string `json:"version"`
}

type manifest struct {
	Mesh    string                              `json:"mesh"`
	Proxies map[string]map[string]manifestEntry `json:"proxies"`
}

// file name (without .json) -> type URL, in ADS push order.
var kinds = []struct{ file, typeURL string }{
	{"cds", resourcev3.ClusterType},
	{"eds", resourcev3.EndpointType},
	{"lds", resourcev3.ListenerType},
	{"rds", resourcev3.RouteType},
	{"sds", resourcev3.SecretType},
}

func nowMs() int64 { return time.Now().UnixMilli() }

func emit(fields map[string]any) {
	b, _ := json.Marshal(fields)
	fmt.Println(string(b))
}

// load reads the whole directory and returns one snapshot per service.
func load(dir string) (map[string]*cachev3.Snapshot, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	services := make([]string, 0, len(m.Proxies))
	for s := range m.Proxies {
		services = append(services, s)
	}
	sort.Strings(services)
	out := make(map[string]*cachev3.Snapshot, len(services))
	var mu sync.Mutex
	var firstErr error
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0)*4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for svc := range work {
				snap, err := loadService(dir, svc, m.Proxies[svc])
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if snap != nil {
					out[svc] = snap
				}
				mu.Unlock()
			}
		}()
	}
	for _, s := range services {
		work <- s
	}
	close(work)
	wg.Wait()
	return out, firstErr
}

func loadService(dir, svc string, entries map[string]manifestEntry) (*cachev3.Snapshot, error) {
	snap := &cachev3.Snapshot{}
	for _, k := range kinds {
		entry, ok := entries[k.file]
		if !ok {
			continue
		}
		file := filepath.Join(dir, svc, k.file+".json")
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var resp discovery.DiscoveryResponse
		if err := protojson.Unmarshal(text, &resp); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		items := make([]types.Resource, 0, len(resp.Resources))
		for _, a := range resp.Resources {
			msg, err := a.UnmarshalNew()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			items = append(items, msg)
		}
		snap.Resources[cachev3.GetResponseType(k.typeURL)] = cachev3.NewResources(entry.Version, items)
	}
	return snap, nil
}

func publish(ctx context.Context, cache cachev3.SnapshotCache, snaps map[string]*cachev3.Snapshot) error {
	for svc, s := range snaps {
		if err := cache.SetSnapshot(ctx, svc, s); err != nil {
			return fmt.Errorf("%s: %w", svc, err)
		}
	}
	return nil
}

func main() {
	dir := flag.String("dir", "", "build directory written by `meshc build`")
	addr := flag.String("addr", "127.0.0.1:19300", "ADS gRPC address")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: gocp-peer -dir <build dir> [-addr host:port]")
		os.Exit(2)
	}
	ctx := context.Background()
	started := nowMs()
	cache := cachev3.NewSnapshotCache(true, byCluster{}, nil)
	snaps, err := load(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if err := publish(ctx, cache, snaps); err != nil {
		fmt.Fprintln(os.Stderr, "publish:", err)
		os.Exit(1)
	}
	srv := serverv3.NewServer(ctx, cache, nil)
	g := grpc.NewServer(
		grpc.MaxConcurrentStreams(1_000_000),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	)
	discovery.RegisterAggregatedDiscoveryServiceServer(g, srv)
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	emit(map[string]any{"msg": "ready", "at": nowMs(), "startMs": nowMs() - started, "proxies": len(snaps), "addr": lis.Addr().String()})

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			t0 := nowMs()
			snaps, err := load(*dir)
			if err != nil {
				emit(map[string]any{"msg": "load failed", "error": err.Error()})
				continue
			}
			if err := publish(ctx, cache, snaps); err != nil {
				emit(map[string]any{"msg": "publish failed", "error": err.Error()})
				continue
			}
			emit(map[string]any{"msg": "published", "at": nowMs(), "loadMs": nowMs() - t0, "proxies": len(snaps)})
		}
	}()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-term
		g.Stop()
	}()
	if err := g.Serve(lis); err != nil && err != grpc.ErrServerStopped {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}
