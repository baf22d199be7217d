package module

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

func categoriesCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "categories [--config <file> --partner <name>] [<field name>...]",
		Short: "List the data categories, or say which a field name is in",
		Long: `
Without arguments, lists every category a policy can name with @: its
detectors and field patterns. With field names, says which categories each
name puts its value in (naming styles do not matter: customerEmail,
customer_email and Customer-Email are read alike). With --config and
--partner, the partner's own category blocks are included.`,
		Example: "caddy minimize categories customerEmail card_number lastLoginAt",
		RunE: runE(func(cmd *cobra.Command) error {
			config, _ := cmd.Flags().GetString("config")
			adapter, _ := cmd.Flags().GetString("adapter")
			partner, _ := cmd.Flags().GetString("partner")
			t := rules.NewTaxonomy()
			if config != "" || partner != "" {
				if config == "" || partner == "" {
					return fail(exitUsage, "categories needs both --config and --partner, or neither")
				}
				h, err := findHandler(config, adapter, partner)
				if err != nil {
					return err
				}
				if t, err = h.taxonomy(); err != nil {
					return fail(exitPolicy, "%v", err)
				} else if t == nil {
					t = rules.NewTaxonomy()
				}
			}
			w := cmd.OutOrStdout()
			if names := cmd.Flags().Args(); len(names) > 0 {
				for _, n := range names {
					cats := t.Names(t.FieldCategories(n))
					if len(cats) == 0 {
						cats = []string{"(none)"}
					}
					fmt.Fprintf(w, "%s\t%s\n", n, strings.Join(cats, ", "))
				}
				return nil
			}
			for i, name := range t.Categories() {
				c := rules.Category(i)
				fmt.Fprintf(w, "@%s\n", name)
				if d := t.DetectorsOf(c); len(d) > 0 {
					fmt.Fprintf(w, "  detectors: %s\n", strings.Join(d, ", "))
				}
				fmt.Fprintf(w, "  fields:    %s\n", strings.Join(t.FieldPatterns(c), ", "))
			}
			return nil
		}),
	}
	c.Flags().String("config", "", "a Caddyfile or JSON config, for a partner's own categories")
	c.Flags().String("adapter", "", "the config adapter (default: by file name)")
	c.Flags().String("partner", "", "the partner whose minimize handler defines categories")
	return c
}
