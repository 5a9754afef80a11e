package main

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
)

func TestFunctionAssets(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		want, err := s.cfg.JSON()
		if err != nil {
			t.Fatal(err)
		}
		for name, fnID := range s.functionIDs(t) {
			md, _ := s.resource(fnID)["Metadata"].(obj)
			rel, _ := md["aws:asset:path"].(string)
			if rel == "" || md["aws:asset:property"] != "Code" || md["aws:asset:is-bundled"] != true {
				t.Errorf("%s: asset metadata %v, want aws:asset:path, property Code, bundled", name, md)
				continue
			}
			dir := filepath.Join(s.outdir, rel)

			f, err := elf.Open(filepath.Join(dir, bootstrapName))
			if err != nil {
				t.Errorf("%s: bootstrap: %v", name, err)
			} else {
				if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 {
					t.Errorf("%s: bootstrap is %v %v, want a 64-bit arm64 executable", name, f.Class, f.Machine)
				}
				f.Close()
			}
			if info, err := os.Stat(filepath.Join(dir, bootstrapName)); err == nil && info.Mode()&0o111 == 0 {
				t.Errorf("%s: bootstrap is not executable (%v)", name, info.Mode())
			}

			got, err := os.ReadFile(filepath.Join(dir, funcenv.ConfigFileName))
			if err != nil {
				t.Errorf("%s: %v", name, err)
			} else if !bytes.Equal(got, want) {
				t.Errorf("%s: bundled %s differs from cfg.JSON()", name, funcenv.ConfigFileName)
			}

			// The detector carries the Sigma rules under the names the config gives them.
			for _, p := range s.cfg.Detection.SigmaFiles {
				_, err := os.Stat(filepath.Join(dir, p))
				if has := err == nil; has != (name == config.FunctionDetector) {
					t.Errorf("%s: sigma path %s bundled = %v", name, p, has)
				}
			}
		}
		if s.name == optionsSynth && len(s.cfg.Detection.SigmaFiles) == 0 {
			t.Error("testdata/options.yaml must name sigma_files so bundling them is tested")
		}
	})
}
