package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command answers --help, -h and (when it cannot run bare) no arguments with its usage; examples never wrap. */
class HelpTest {
    /** Every subcommand name and alias, from the command line itself (a new command is tested as it comes). */
    static List<String> commands() {
        return new ArrayList<>(new CommandLine(new Main()).getSubcommands().keySet());
    }

    /** The name a command's usage shows (an alias shows its command's name). */
    static String canonical(String name) {
        return new CommandLine(new Main()).getSubcommands().get(name).getCommandName();
    }

    @Test
    void shouldPrintUsageAndExitZeroWhenAnyCommandIsAskedForHelp() {
        List<String[]> asks = new ArrayList<>();
        asks.add(new String[]{"--help"});
        asks.add(new String[]{"-h"});
        asks.add(new String[]{});
        for (String c : commands()) {
            if (!c.equals("help")) { // picocli's own help command describes itself before its usage
                asks.add(new String[]{c, "--help"});
                asks.add(new String[]{c, "-h"});
                asks.add(new String[]{"help", c});
            }
        }
        for (String[] args : asks) {
            MainTest.Outcome o = MainTest.run(args);
            String name = args.length == 0 || args[0].startsWith("-") ? ""
                    : canonical(args[0].equals("help") ? args[1] : args[0]);
            String expected = "Usage: rlm" + (name.isEmpty() || name.equals("help") && args.length == 1 ? "" : " " + name);
            assertEquals(0, o.code(), String.join(" ", args) + ": " + o.err());
            assertEquals("", o.err(), String.join(" ", args));
            assertTrue(o.out().startsWith(expected + " "), String.join(" ", args) + " printed: " + o.out());
        }
    }

    @Test
    void shouldPrintUsageWhenACommandThatNeedsArgumentsGetsNone() {
        Set<String> bare = new TreeSet<>();
        for (String c : commands()) {
            if (Main.needsArguments(new CommandLine(new Main()).getSubcommands().get(c).getCommandSpec())) {
                bare.add(c);
                MainTest.Outcome o = MainTest.run(c);
                assertEquals(0, o.code(), c + ": " + o.err());
                assertTrue(o.out().startsWith("Usage: rlm " + canonical(c) + " "), c + " printed: " + o.out());
            }
        }
        // demo runs without arguments; help without arguments is the top-level usage
        assertEquals(Set.of("checkpoint", "evaluate-models", "info", "launch", "plot", "report", "synth",
                "visualise", "visualize"), bare);
    }

    @Test
    void shouldKeepEveryExampleLineWholeWhenPrintingHelp() {
        List<CommandLine> all = new ArrayList<>();
        CommandLine root = new CommandLine(new Main());
        all.add(root);
        all.addAll(root.getSubcommands().values());
        int examples = 0;
        for (CommandLine c : all) {
            String[] footer = c.getCommandSpec().usageMessage().footer();
            String help = c.getUsageMessage();
            List<String> helpLines = help.lines().toList();
            boolean inExample = false;
            for (int i = 0; i < footer.length; i++) {
                String line = footer[i];
                // printed as written: picocli wraps nothing shorter than the usage width
                assertTrue(line.length() < c.getCommandSpec().usageMessage().width(), "too wide to stay whole: " + line);
                assertTrue(helpLines.contains(line), c.getCommandName() + " help lacks the line: " + line);
                if (line.startsWith("  rlm ")) {
                    inExample = true;
                    examples++;
                }
                if (inExample) {
                    boolean last = i + 1 == footer.length || !footer[i + 1].startsWith("      ");
                    assertEquals(!last, line.endsWith(" \\"), "continuation mark on: " + line);
                    inExample = !last;
                }
            }
        }
        assertEquals(2, examples, "the top-level and evaluate-models examples");
    }
}
