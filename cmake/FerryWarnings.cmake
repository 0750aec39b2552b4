# ferry_target_warnings(<target>): the warning flags for Ferry's own code.
# Dependencies' headers are included as system headers and stay quiet.
function(ferry_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(FERRY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
