// grpcgo: the grpc-go side of meshc's proxyless end-to-end tests (test/e2e/proxyless-go.test.ts). One binary, two
// modes, speaking the same wire protocol as test/apps/grpc-app.ts and test/apps/xds-client.ts (unary
// /meshc.test.Greeter/Who with JSON bodies), so grpc-go is driven by the same scenarios as @grpc/grpc-js-xds:
//
//	grpcgo server --service S --listen host:port=version[/delay-ms][/fail] [--listen ...]
//	    one backend instance per --listen, answering {service, version} (after delay-ms; "fail": always
//	    UNAVAILABLE); metadata x-fail-first: K + x-test-id: ID fails the first K attempts of ID with UNAVAILABLE.
//	    Prints {"listening":N} once serving; stdin "stats" prints {"calls":{addr:n},"attempts":{id:n}}, "reset"
//	    clears them.
//	grpcgo client <target>
//	    dials xds:///<target> with the bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG (grpc-go's real xDS resolver and
//	    balancers), prints {"ready":true}, then runs JSON-line commands from stdin:
//	    {"op":"run","target":"<other target>","n":400,"concurrency":1,"failFirst":2,"idPrefix":"r","metadata":{"k":"v"},"metadataPerCall":{"k":"v-%d"}}
//	    -> {"counts":{"<version>":n},"errors":{"<code> <message>":n}}
//	    {"op":"exit"}
//
// Built by scripts/build-grpc-go.sh into .grpc-go/grpcgo (run by `npm run envoy:install`).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	_ "google.golang.org/grpc/xds" // registers the xds:/// resolver and the xDS balancers
)

// rawCodec passes message bytes through (JSON made by hand), under the name "proto" so the content type is the
// default application/grpc that the Node apps speak.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

const whoMethod = "/meshc.test.Greeter/Who"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: grpcgo server|client ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "server":
		server(os.Args[2:])
	case "client":
		client(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "grpcgo: unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}
}

// listenSpec is one --listen host:port=version[/delay-ms][/fail]: one backend instance.
type listenSpec struct {
	addr    string
	version string
	delay   time.Duration
	fail    bool
}

func parseListen(v string) listenSpec {
	addr, rest, _ := strings.Cut(v, "=")
	parts := strings.Split(rest, "/")
	l := listenSpec{addr: addr, version: parts[0]}
	for _, p := range parts[1:] {
		if p == "fail" {
			l.fail = true
		} else {
			var ms int
			fmt.Sscanf(p, "%d", &ms)
			l.delay = time.Duration(ms) * time.Millisecond
		}
	}
	return l
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// server serves every --listen address from one process (one grpc.Server each), so a test can run many instances.
func server(args []string) {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	service := fs.String("service", "greeter", "service name in replies")
	var listens multiFlag
	fs.Var(&listens, "listen", "host:port=version[/delay-ms][/fail], repeatable")
	_ = fs.Parse(args)
	var mu sync.Mutex
	attempts := map[string]int{}
	calls := map[string]int{}
	errc := make(chan error, len(listens))
	for _, raw := range listens {
		l := parseListen(raw)
		handler := func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in []byte
			if err := dec(&in); err != nil {
				return nil, err
			}
			md, _ := metadata.FromIncomingContext(ctx)
			get := func(k string) string {
				if v := md.Get(k); len(v) > 0 {
					return v[0]
				}
				return ""
			}
			mu.Lock()
			calls[l.addr]++
			mu.Unlock()
			if l.fail {
				return nil, status.Errorf(codes.Unavailable, "injected failure: always (%s)", l.version)
			}
			if id := get("x-test-id"); id != "" {
				mu.Lock()
				attempts[id]++
				n := attempts[id]
				mu.Unlock()
				var k int
				fmt.Sscanf(get("x-fail-first"), "%d", &k)
				if n <= k {
					return nil, status.Errorf(codes.Unavailable, "injected failure: attempt %d for %s", n, id)
				}
			}
			if l.delay > 0 {
				time.Sleep(l.delay)
			}
			out, _ := json.Marshal(map[string]string{"service": *service, "version": l.version})
			return &out, nil
		}
		desc := grpc.ServiceDesc{
			ServiceName: "meshc.test.Greeter",
			HandlerType: (*any)(nil),
			Methods:     []grpc.MethodDesc{{MethodName: "Who", Handler: handler}},
		}
		lis, err := net.Listen("tcp", l.addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		s := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}))
		s.RegisterService(&desc, struct{}{})
		go func() { errc <- s.Serve(lis) }()
	}
	fmt.Printf("{\"listening\":%d}\n", len(listens))
	// stdin commands: "stats" prints {"calls":{addr:n},"attempts":{id:n}}; "reset" clears them.
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			mu.Lock()
			switch strings.TrimSpace(in.Text()) {
			case "stats":
				out, _ := json.Marshal(map[string]any{"calls": calls, "attempts": attempts})
				fmt.Println(string(out))
			case "reset":
				calls = map[string]int{}
				attempts = map[string]int{}
				fmt.Println(`{"reset":true}`)
			}
			mu.Unlock()
		}
	}()
	err := <-errc
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

type runCommand struct {
	Op              string            `json:"op"`
	N               int               `json:"n"`
	Concurrency     int               `json:"concurrency"`
	FailFirst       *int              `json:"failFirst"`
	IDPrefix        string            `json:"idPrefix"`
	Metadata        map[string]string `json:"metadata"`
	MetadataPerCall map[string]string `json:"metadataPerCall"`
	Method          string            `json:"method"`
	Target          string            `json:"target"`
}

func client(args []string) {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: grpcgo client <target>")
		os.Exit(2)
	}
	deadline := 5 * time.Second
	if v := os.Getenv("XDS_CLIENT_DEADLINE_MS"); v != "" {
		var ms int
		fmt.Sscanf(v, "%d", &ms)
		deadline = time.Duration(ms) * time.Millisecond
	}
	conns := map[string]*grpc.ClientConn{}
	dial := func(target string) *grpc.ClientConn {
		if c, ok := conns[target]; ok {
			return c
		}
		c, err := grpc.NewClient("xds:///"+target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		conns[target] = c
		return c
	}
	dial(args[0])
	fmt.Println(`{"ready":true}`)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		var cmd runCommand
		if err := json.Unmarshal([]byte(line), &cmd); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if cmd.Op == "exit" {
			for _, c := range conns {
				c.Close()
			}
			os.Exit(0)
		}
		target := cmd.Target
		if target == "" {
			target = args[0]
		}
		out, _ := json.Marshal(run(dial(target), cmd, deadline))
		fmt.Println(string(out))
	}
}

func run(conn *grpc.ClientConn, cmd runCommand, deadline time.Duration) map[string]map[string]int {
	counts := map[string]int{}
	errs := map[string]int{}
	var mu sync.Mutex
	method := cmd.Method
	if method == "" {
		method = whoMethod
	}
	conc := cmd.Concurrency
	if conc < 1 {
		conc = 1
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				kv := []string{}
				for k, v := range cmd.Metadata {
					kv = append(kv, k, v)
				}
				for k, v := range cmd.MetadataPerCall {
					kv = append(kv, k, strings.ReplaceAll(v, "%d", fmt.Sprint(i)))
				}
				if cmd.FailFirst != nil {
					prefix := cmd.IDPrefix
					if prefix == "" {
						prefix = "call"
					}
					kv = append(kv, "x-test-id", fmt.Sprintf("%s-%d", prefix, i), "x-fail-first", fmt.Sprint(*cmd.FailFirst))
				}
				ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), kv...), deadline)
				req := []byte("{}")
				var reply []byte
				err := conn.Invoke(ctx, method, &req, &reply)
				cancel()
				mu.Lock()
				if err != nil {
					st := status.Convert(err)
					errs[fmt.Sprintf("%d %s", int(st.Code()), st.Message())]++
				} else {
					var r struct{ Version string }
					_ = json.Unmarshal(reply, &r)
					counts[r.Version]++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < cmd.N; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return map[string]map[string]int{"counts": counts, "errors": errs}
}
