package org.cmarl.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.agrona.BufferUtil;
import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.BatchQFunction;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.NetworkQFunction;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DqnLearner;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.nn.TransitionBatchBuffer;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationLayout;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;

/**
 * The engine and PyTorch on the same work, interleaved in one run on this machine (run it through
 * {@code benchmarks/side-by-side}). Each row is measured by the engine and, right after, by a PyTorch worker process
 * ({@code benchmarks/python/side_by_side_worker.py}) that waits idle while the engine measures: both see the same
 * load. Prints one table of times and ratios with the CPU model, its flags and the load average, and writes it as
 * JSON.
 */
public final class SideBySideMain {
    /** glibc keeps up to 1 GiB of freed memory and serves blocks up to 256 MiB from its heaps, not from mmap. */
    static final String PYTHON_MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=268435456"
            + ":glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=268435456";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final boolean quick;
    private final Path shared;
    private final BufferedWriter toPython;
    private final BufferedReader fromPython;
    private final List<Map<String, Object>> rows = new ArrayList<>();
    private final boolean bf16Native;
    /** Threads of the update and evaluation rows (default all cores). */
    private int threads = Runtime.getRuntime().availableProcessors();
    /** Sample scans of the evaluation rows: 2 (54 episodes), up to all 10 (the published 270-episode run). */
    private int evalScans = 2;
    /** Row groups to run: load, env, forward, update, eval. */
    private Set<String> only = Set.of("load", "env", "forward", "update", "eval");

    private SideBySideMain(boolean quick, Path shared, Process python) {
        this.quick = quick;
        this.shared = shared;
        this.toPython = new BufferedWriter(new OutputStreamWriter(python.getOutputStream(), StandardCharsets.UTF_8));
        this.fromPython = new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
        this.bf16Native = Precision.choose("auto", Device.CPU, Precision.cpuFlags()).precision() == Precision.BF16;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path json = Path.of("benchmarks/target/side-by-side.json");
        boolean pythonMallocTuned = true;
        String python = "/usr/bin/python3";
        Integer threads = null;
        Integer evalScans = null;
        Set<String> only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--json" -> json = Path.of(args[++i]);
                case "--python" -> python = args[++i];
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--only" -> only = Set.of(args[++i].split(","));
                case "--eval-scans" -> evalScans = Integer.parseInt(args[++i]);
                case "--pytorch-malloc" -> pythonMallocTuned = switch (args[++i]) {
                    case "tuned" -> true;
                    case "default" -> false;
                    default -> throw new IllegalArgumentException("--pytorch-malloc " + args[i]
                            + ", expected tuned or default");
                };
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --quick, --json FILE, --python EXE, --threads N (update and evaluation rows), "
                        + "--only load,env,forward,update,eval, --eval-scans N, --pytorch-malloc tuned|default");
            }
        }
        Path shared = Path.of(System.getProperty("rlm.shared.dir", "../shared"));
        Path worker = Path.of(System.getProperty("rlm.bench.python.dir", "benchmarks/python"))
                .resolve("side_by_side_worker.py");
        ProcessBuilder pb = new ProcessBuilder(python, worker.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
        String pythonMalloc = System.getenv().getOrDefault("GLIBC_TUNABLES", "glibc defaults");
        if (pythonMallocTuned && System.getenv("GLIBC_TUNABLES") == null) {
            // WHY: PyTorch frees each activation after use, and glibc's malloc hands blocks of megabytes back to
            // the kernel; the next forward then faults every 4 KB page in again, at about 10 us a page on a VM.
            // Whether it does depends on the process's heap history: measured on the EPYC VM, the same 1-thread
            // Network3d forward took 135 ms in a fresh process and 43 ms after loading a scan (and in this
            // worker's evaluation requests, 100 ms a step). Keeping freed memory makes PyTorch's figures its best
            // and repeatable. The engine needs no such setting: its CPU forwards keep each activation small
            // enough for malloc to reuse (QNetwork, one observation-agent per trunk call).
            pythonMalloc = PYTHON_MALLOC_TUNABLES;
            pb.environment().put("GLIBC_TUNABLES", pythonMalloc);
        }
        Process p = pb.start();
        SideBySideMain run = new SideBySideMain(quick, shared, p);
        Files.createDirectories(json.toAbsolutePath().getParent());
        if (threads != null) {
            run.threads = threads;
        }
        if (only != null) {
            run.only = only;
        }
        if (evalScans != null) {
            run.evalScans = evalScans;
        }
        String started = Instant.now().toString();
        String loadBefore = Machine.loadAverage();
        JsonNode hello = JSON.readTree(run.fromPython.readLine());
        try {
            run.all();
        } finally {
            run.send("{\"op\":\"quit\"}");
            p.waitFor();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("date", started);
        out.put("mode", quick ? "quick" : "full");
        out.put("cpu", Machine.cpuModel());
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("cpu_flags", Machine.cpuFlags());
        out.put("load_average_start", loadBefore);
        out.put("load_average_end", Machine.loadAverage());
        out.put("engine_libtorch", "Bytedeco pytorch 2.10.0-1.5.13");
        out.put("pytorch", hello.get("torch").asText());
        out.put("pytorch_malloc", pythonMalloc);
        out.put("rows", run.rows);
        Files.writeString(json, JSON.writeValueAsString(out));
        System.out.println(run.table(out));
        System.out.println("JSON: " + json.toAbsolutePath());
    }

    // -----------------------------------------------------------------------------------------------------------

    private void all() throws IOException {
        Path brain = shared.resolve("sample-data/brain");
        List<FileList.Pair> pairs = FileList.pairs(brain.resolve("image_files.txt"), brain.resolve("landmark_files.txt"));
        Path scan = pairs.get(0).image();
        int reps = quick ? 2 : 7;

        if (only.contains("load")) {
        row("load + normalise one scan", "ms", median(() -> {
            long t = System.nanoTime();
            NiftiReader.load(scan).close();
            return (System.nanoTime() - t) / 1e6;
        }, reps), Double.NaN, python("{\"op\":\"load\",\"file\":\"" + scan + "\",\"reps\":" + reps + "}") * 1e3,
                "PyTorch side: numpy re-statement of SPEC.md section 1");
        }

        if (only.contains("env")) {
        try (Volume v = NiftiReader.load(scan)) {
            for (int agents : new int[] {1, 5}) {
                int steps = quick ? 400 : 4000;
                row("environment step, " + agents + " agent" + (agents == 1 ? "" : "s") + " (train, float32)", "us",
                        envStep(v, agents, steps), Double.NaN,
                        python("{\"op\":\"env\",\"agents\":" + agents + ",\"steps\":" + steps / 4 + ",\"file\":\""
                                + scan + "\"}") * 1e6, "PyTorch side: numpy re-statement of SPEC.md section 3");
            }
        }
        }

        String[][] models = quick ? new String[][] {{"Network3d", "1"}, {"CommNet", "5"}}
                : new String[][] {{"Network3d", "1"}, {"CommNet", "5"}, {"CommNet", "8"}};
        for (int threads : only.contains("forward") ? new int[] {1, 2} : new int[0]) {
            for (String[] m : models) {
                int agents = Integer.parseInt(m[1]);
                double[] engine = forward(m[0], agents, threads, reps);
                row("forward batch 1, " + m[0] + "-" + agents + ", " + threads + " thread" + (threads == 1 ? "" : "s"),
                        "ms", engine[0], engine[1], python("{\"op\":\"forward\",\"model\":\"" + m[0] + "\",\"agents\":"
                                + agents + ",\"threads\":" + threads + ",\"reps\":" + reps + "}") * 1e3, "");
            }
        }

        int threadsAll = threads;
        int batch = quick ? 16 : 64;
        if (only.contains("update")) {
        double[] upd = update(threadsAll, batch, quick ? 1 : 3);
        row("DQN update, batch " + batch + (quick ? " (quick; the full run: 64)" : "") + ", Network3d-1, "
                + threadsAll + " threads", "ms", upd[0], upd[1],
                python("{\"op\":\"update\",\"model\":\"Network3d\",\"agents\":1,\"batch\":" + batch
                        + ",\"threads\":" + threadsAll + ",\"reps\":" + (quick ? 1 : 3) + "}") * 1e3,
                "engine bf16: --train_precision bf16");
        }

        if (only.contains("eval")) {
            evaluation(pairs, threadsAll);
        }
    }

    private double envStep(Volume v, int agents, int steps) {
        SplittableRandom random = new SplittableRandom(1);
        int[] actions = new int[agents];
        int[][] landmarks = new int[agents][];
        for (int a = 0; a < agents; a++) {
            landmarks[a] = new int[] {v.nx() / 2, v.ny() / 2 + a, v.nz() / 2};
        }
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.TRAIN, agents, true, FrameType.FLOAT32,
                EnvConfig.DEFAULT_MAX_STEPS_PER_EPISODE, false, true))) {
            long total = 0;
            for (int i = -steps; i < steps; i++) { // the first half warms the JIT up
                if (env.image() == null || env.isOver()) {
                    env.reset(v, landmarks, Spawn.random(), random);
                }
                for (int a = 0; a < agents; a++) {
                    actions[a] = random.nextInt(6);
                }
                long t = System.nanoTime();
                env.step(actions, (float[]) null);
                if (i >= 0) {
                    total += System.nanoTime() - t;
                }
            }
            return total / 1e3 / steps;
        }
    }

    /** Median ms of a batch-1 forward in fp32 and (where the CPU has native bf16) bf16. */
    private double[] forward(String model, int agents, int threads, int reps) {
        Torch.setThreads(threads);
        NetworkConfig config = NetworkConfig.of(Architecture.parse(model), agents);
        try (QNetwork net = QNetwork.create(config, 1, Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(1, agents, FrameType.FLOAT32)) {
            BenchObservations.fillRandomVoxels(obs, 2);
            float[] q = new float[agents * 6];
            DoubleSupplier one = () -> {
                long t = System.nanoTime();
                net.forward(obs, 1, q);
                return (System.nanoTime() - t) / 1e6;
            };
            double fp32 = median(one, reps);
            double bf16 = Double.NaN;
            if (bf16Native) {
                net.setPrecision(Precision.BF16);
                bf16 = median(one, reps);
            }
            return new double[] {fp32, bf16};
        }
    }

    private double[] update(int threads, int batch, int reps) {
        Torch.setThreads(threads);
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, 1);
        try (QNetwork online = QNetwork.create(config, 1, Device.CPU);
             QNetwork target = QNetwork.create(config, 2, Device.CPU);
             DqnLearner learner = new DqnLearner(online, target, DqnLearner.DEFAULT_LEARNING_RATE, TeamReward.NONE,
                     DqnLearner.defaultMicroBatch(1));
             TransitionBatchBuffer transitions = TransitionBatchBuffer.allocate(batch, 1)) {
            for (int i = 0; i < (int) transitions.capacityBytes(); i++) {
                transitions.block().buffer().putByte(i, (byte) (i * 37));
            }
            int[] actions = new int[batch];
            float[] rewards = new float[batch];
            boolean[] terminal = new boolean[batch];
            for (int i = 0; i < batch; i++) {
                actions[i] = i % 6;
                rewards[i] = (i % 5 - 2) * 0.3f;
                terminal[i] = i % 7 == 0;
            }
            DoubleSupplier one = () -> {
                long t = System.nanoTime();
                learner.update(transitions, batch, actions, rewards, terminal, DqnLearner.DEFAULT_DISCOUNT);
                return (System.nanoTime() - t) / 1e6;
            };
            double fp32 = median(one, reps);
            double bf16 = Double.NaN;
            if (bf16Native) {
                online.setTrainingPrecision(Precision.BF16);
                target.setTrainingPrecision(Precision.BF16);
                bf16 = median(one, reps);
            }
            return new double[] {fp32, bf16};
        }
    }

    /**
     * SingleAgent.pt over the 27 fixed spawns of {@link #evalScans} sample scans (quick: the centre spawn): the
     * engine in fp32 (and bf16), every step's forward and with repeats reused, then PyTorch's forward driving the
     * engine's environment (the observation handed over through a shared memory file, PyTorch's own forward time
     * summed).
     */
    private void evaluation(List<FileList.Pair> pairs, int threads) throws IOException {
        Torch.setThreads(threads);
        double[] f = {0.5, 0.25, 0.75};
        List<Spawn> spawns = new ArrayList<>();
        for (double x : f) {
            for (double y : f) {
                for (double z : f) {
                    spawns.add(Spawn.fixed(x, y, z));
                }
            }
        }
        if (quick) {
            spawns = spawns.subList(0, 1);
        }
        List<LabelledImage> images = new ArrayList<>();
        Path model = shared.resolve("models/BrainMRI/SingleAgent.pt");
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 0, Device.CPU)) {
            net.loadStateDict(PtReader.read(model).stateDict());
            if (evalScans < 1 || evalScans > pairs.size()) {
                throw new IllegalArgumentException("--eval-scans " + evalScans + ", expected 1.." + pairs.size());
            }
            for (FileList.Pair p : pairs.subList(0, evalScans)) {
                Volume v = NiftiReader.load(p.image());
                images.add(new LabelledImage(p.image().getFileName().toString(), v,
                        new int[][] {LandmarkReader.landmark(p.landmarks(), FileType.BRAIN, 13, v)}));
            }
            int episodes = images.size() * spawns.size();
            String what = "evaluation, SingleAgent, " + images.size() + " scans x " + spawns.size() + " spawns ("
                    + episodes + " episodes, ";
            // Every step's forward first (the published evaluation's work), then with repeated observations
            // answered from the run's memo (the engine's default); PyTorch's side runs every forward.
            double[] every = engineEvaluation(net, images, spawns, false);
            double[] reused = engineEvaluation(net, images, spawns, true);
            double torchForward = pytorchEvaluation(model, images, spawns, threads);
            row(what + (long) every[2] + " steps), " + threads + " threads, every step's forward", "s", every[0],
                    every[1], torchForward,
                    "PyTorch side: its forward passes only (summed), driving the engine's environment");
            row(what + (long) reused[2] + " steps), " + threads + " threads, repeats reused", "s", reused[0],
                    reused[1], torchForward, "engine: " + (long) reused[3] + " of " + (long) reused[2]
                            + " observations were repeats of earlier ones, their Q-values reused (results identical);"
                            + " PyTorch side: every forward, as above");
        } finally {
            for (LabelledImage i : images) {
                i.volume().close();
            }
        }
    }

    /** Seconds in fp32 and (where native) bf16, steps, and observations answered from the memo (fp32 run). */
    private double[] engineEvaluation(QNetwork net, List<LabelledImage> images, List<Spawn> spawns, boolean reuse) {
        double[] out = {Double.NaN, Double.NaN, 0, 0};
        for (Precision p : bf16Native ? new Precision[] {Precision.FP32, Precision.BF16}
                : new Precision[] {Precision.FP32}) {
            net.setPrecision(p);
            try (NetworkQFunction q = new NetworkQFunction(net, 1)) {
                Evaluator evaluator = new Evaluator(q, Mode.EVAL, 200).reuseRepeatedObservations(reuse);
                long t = System.nanoTime();
                List<EpisodeResult> r = evaluator.run(images, spawns, null, null);
                double seconds = (System.nanoTime() - t) / 1e9;
                if (p == Precision.FP32) {
                    out[0] = seconds;
                    out[2] = r.stream().mapToLong(EpisodeResult::steps).sum();
                    out[3] = evaluator.repeatsReused();
                } else {
                    out[1] = seconds;
                }
            }
        }
        net.setPrecision(Precision.FP32);
        return out;
    }

    private double pytorchEvaluation(Path model, List<LabelledImage> images, List<Spawn> spawns, int threads)
            throws IOException {
        Path shm = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        Path obsFile = Files.createTempFile(shm, "rlm-side-by-side", ".f32");
        long rowBytes = 4L * 4 * 45 * 45 * 45;
        try (FileChannel ch = FileChannel.open(obsFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_WRITE, 0, rowBytes);
            long address = BufferUtil.address(buf);
            // the mapping stays the channel's: the block only lends the evaluator a bounds-checked row over it
            NativeBlock mapped = NativeBlock.ofForeign(address, rowBytes, 64, () -> { });
            FrameRing row = new FrameRing(mapped, 0, new ObservationLayout(1, FrameType.FLOAT32));
            python("{\"op\":\"eval_open\",\"model_file\":\"" + model + "\",\"obs_file\":\"" + obsFile
                    + "\",\"threads\":" + threads + "}");
            double[] seconds = {0};
            BatchQFunction torchQ = new BatchQFunction() {
                @Override public int agents() { return 1; }
                @Override public int capacityBatch() { return 1; }
                @Override public FrameRing inputRow(int b) { return row; }

                @Override
                public void forward(int batch, float[] qOut) {
                    try {
                        send("q");
                        JsonNode r = JSON.readTree(fromPython.readLine());
                        for (int i = 0; i < 6; i++) {
                            qOut[i] = (float) r.get("q").get(i).asDouble();
                        }
                        seconds[0] += r.get("seconds").asDouble();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
            new Evaluator(torchQ, Mode.EVAL, 200).reuseRepeatedObservations(false).run(images, spawns, null, null);
            python("{\"op\":\"eval_close\"}");
            mapped.close();
            return seconds[0];
        } finally {
            Files.deleteIfExists(obsFile);
        }
    }

    // -----------------------------------------------------------------------------------------------------------

    private void row(String what, String unit, double engine, double engineBf16, double pytorch, String note) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", what);
        r.put("unit", unit);
        r.put("engine_fp32", round(engine));
        r.put("engine_bf16", Double.isNaN(engineBf16) ? null : round(engineBf16));
        r.put("pytorch_fp32", round(pytorch));
        r.put("pytorch_over_engine_fp32", round(pytorch / engine));
        r.put("pytorch_over_engine_bf16", Double.isNaN(engineBf16) ? null : round(pytorch / engineBf16));
        r.put("load_average", Machine.loadAverage());
        r.put("note", note);
        rows.add(r);
        System.err.printf(Locale.ROOT, "  %s: engine %.4g %s%s, PyTorch %.4g %s (load %s)%n", what, engine, unit,
                Double.isNaN(engineBf16) ? "" : String.format(Locale.ROOT, " (bf16 %.4g)", engineBf16), pytorch, unit,
                Machine.loadAverage());
    }

    private static double round(double v) {
        return Double.isNaN(v) ? v : Double.parseDouble(String.format(Locale.ROOT, "%.4g", v));
    }

    private String table(Map<String, Object> out) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "side by side, %s, %s (%s cores), load average %s -> %s, %s run%n",
                out.get("date"), out.get("cpu"), out.get("cores"), out.get("load_average_start"),
                out.get("load_average_end"), out.get("mode")));
        String flags = (String) out.get("cpu_flags");
        StringBuilder simd = new StringBuilder();
        for (String f : flags.split(" ")) {
            if (f.startsWith("avx") || f.startsWith("amx") || f.equals("fma")) {
                simd.append(f).append(' ');
            }
        }
        try {
            double load = Double.parseDouble((String) out.get("load_average_end"));
            if (load > ((Number) out.get("cores")).doubleValue()) {
                s.append(String.format(Locale.ROOT, "note: load average %.1f on %s cores: other jobs shared the CPU, "
                        + "times are inflated; the ratios (same row, same load) are the figures to read%n", load,
                        out.get("cores")));
            }
        } catch (NumberFormatException e) {
            // no /proc/loadavg
        }
        s.append("vector flags: ").append(simd.toString().trim()).append('\n');
        s.append("engine: ").append(out.get("engine_libtorch")).append("; PyTorch ").append(out.get("pytorch"))
                .append(" (malloc: ").append(out.get("pytorch_malloc")).append(")\n");
        s.append(String.format(Locale.ROOT, "%-78s %5s %10s %10s %10s %8s %8s%n", "work", "unit", "engine", "engine",
                "PyTorch", "PyTorch/", "PyTorch/"));
        s.append(String.format(Locale.ROOT, "%-78s %5s %10s %10s %10s %8s %8s%n", "", "", "fp32", "bf16", "fp32",
                "eng fp32", "eng bf16"));
        for (Map<String, Object> r : rows) {
            s.append(String.format(Locale.ROOT, "%-78s %5s %10s %10s %10s %8s %8s%n", r.get("what"), r.get("unit"),
                    fmt(r.get("engine_fp32")), fmt(r.get("engine_bf16")), fmt(r.get("pytorch_fp32")),
                    fmt(r.get("pytorch_over_engine_fp32")) + "x",
                    r.get("pytorch_over_engine_bf16") == null ? "-" : fmt(r.get("pytorch_over_engine_bf16")) + "x"));
        }
        for (Map<String, Object> r : rows) {
            if (!((String) r.get("note")).isEmpty()) {
                s.append("  ").append(r.get("what")).append(": ").append(r.get("note")).append('\n');
            }
        }
        return s.toString();
    }

    private static String fmt(Object v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4g", ((Number) v).doubleValue());
    }

    private static double median(DoubleSupplier measurement, int reps) {
        measurement.getAsDouble(); // warm-up
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            t[i] = measurement.getAsDouble();
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    private void send(String line) throws IOException {
        toPython.write(line);
        toPython.write('\n');
        toPython.flush();
    }

    /** Sends one request, returns its "seconds". */
    private double python(String request) throws IOException {
        send(request);
        String line = fromPython.readLine();
        if (line == null) {
            throw new IOException("the PyTorch worker exited (see its message above)");
        }
        JsonNode r = JSON.readTree(line);
        if (r.has("error")) {
            throw new IOException("PyTorch worker: " + r.get("error").asText());
        }
        return r.has("seconds") ? r.get("seconds").asDouble() : Double.NaN;
    }
}
