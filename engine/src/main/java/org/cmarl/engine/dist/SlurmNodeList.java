package org.cmarl.engine.dist;

import java.util.ArrayList;
import java.util.List;

/**
 * Slurm's compressed host lists ({@code SLURM_JOB_NODELIST}), e.g. {@code node[01-04,07],gpu5,rack[1-2]-n[3-4]}:
 * comma-separated entries, each a name with bracketed numeric ranges whose zero padding is kept ({@code node01}).
 * A name with several bracket groups expands to their cartesian product, leftmost group slowest, as
 * {@code scontrol show hostnames} prints it.
 */
public final class SlurmNodeList {
    /** Most host names {@link #expand} produces (a hostile list must not make it allocate without bound). */
    public static final int MAX_HOSTS = 100_000;

    private SlurmNodeList() {
    }

    /** The first host of the list, the one torchrun-style Slurm scripts use as the master. */
    public static String firstHost(String nodeList) {
        return expand(nodeList, 1).get(0);
    }

    /** Every host of the list, in Slurm's order. */
    public static List<String> expand(String nodeList) {
        List<String> hosts = expand(nodeList, MAX_HOSTS + 1);
        if (hosts.size() > MAX_HOSTS) {
            throw new IllegalArgumentException("Slurm node list '" + nodeList + "' names more than " + MAX_HOSTS
                    + " hosts");
        }
        return hosts;
    }

    private static List<String> expand(String nodeList, int limit) {
        if (nodeList == null || nodeList.isBlank()) {
            throw new IllegalArgumentException("Slurm node list is empty");
        }
        List<String> hosts = new ArrayList<>();
        for (String entry : topLevelEntries(nodeList)) {
            if (entry.isEmpty()) {
                throw new IllegalArgumentException("Slurm node list '" + nodeList + "' has an empty entry");
            }
            expandEntry(nodeList, entry, 0, "", hosts, limit);
            if (hosts.size() >= limit) {
                break;
            }
        }
        return hosts;
    }

    private static List<String> topLevelEntries(String list) {
        List<String> entries = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '[') {
                if (++depth > 1) {
                    throw new IllegalArgumentException("Slurm node list '" + list + "' has nested brackets");
                }
            } else if (c == ']') {
                if (--depth < 0) {
                    throw new IllegalArgumentException("Slurm node list '" + list + "' has an unmatched ']'");
                }
            } else if (c == ',' && depth == 0) {
                entries.add(list.substring(start, i).trim());
                start = i + 1;
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException("Slurm node list '" + list + "' has an unclosed '['");
        }
        entries.add(list.substring(start).trim());
        return entries;
    }

    /** Expands {@code entry} from {@code pos}, with {@code prefix} already fixed, appending up to {@code limit}. */
    private static void expandEntry(String list, String entry, int pos, String prefix, List<String> out, int limit) {
        int open = entry.indexOf('[', pos);
        if (open < 0) {
            out.add(prefix + entry.substring(pos));
            return;
        }
        int close = entry.indexOf(']', open);
        String head = prefix + entry.substring(pos, open);
        String body = entry.substring(open + 1, close);
        if (body.isEmpty()) {
            throw new IllegalArgumentException("Slurm node list '" + list + "' has an empty range '[]'");
        }
        for (String range : body.split(",", -1)) {
            int dash = range.indexOf('-');
            String lo = dash < 0 ? range : range.substring(0, dash);
            String hi = dash < 0 ? range : range.substring(dash + 1);
            if (!isDigits(lo) || !isDigits(hi) || lo.length() > 9 || hi.length() > 9) {
                throw new IllegalArgumentException("Slurm node list '" + list + "' has range '" + range
                        + "', expected N or N-M with digits");
            }
            long from = Long.parseLong(lo);
            long to = Long.parseLong(hi);
            if (to < from) {
                throw new IllegalArgumentException("Slurm node list '" + list + "' has range '" + range
                        + "' that runs backwards");
            }
            int width = lo.length();
            for (long n = from; n <= to; n++) {
                String digits = Long.toString(n);
                String padded = digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits;
                expandEntry(list, entry, close + 1, head + padded, out, limit);
                if (out.size() >= limit) {
                    return;
                }
            }
        }
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
