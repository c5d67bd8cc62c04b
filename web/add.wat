;; The source of add.wasm (hand-assembled; 41 bytes):
;; 00 61 73 6d 01 00 00 00          magic, version 1
;; 01 07 01 60 02 7f 7f 01 7f       type section: (i32, i32) -> i32
;; 03 02 01 00                      function section: one function of type 0
;; 07 07 01 03 61 64 64 00 00       export section: "add" = function 0
;; 0a 09 01 07 00 20 00 20 01 6a 0b code: local.get 0, local.get 1, i32.add, end
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add))
